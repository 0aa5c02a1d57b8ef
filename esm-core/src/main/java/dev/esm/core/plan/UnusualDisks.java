package dev.esm.core.plan;

import dev.esm.api.DiskImage;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.StorageException;
import dev.esm.api.errors.UnsupportedDiskException;
import dev.esm.core.model.DiskDef;
import dev.esm.core.model.Names;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The planner's answers to disks that QEMU and libvirt treat in ways an overlay must respect
 * (docs/guide/10-troubleshooting.md, "Unusual disks"): refused up front, naming the cause and what to do, or planned so
 * that the chain keeps working.
 * Pure; stateless.
 */
final class UnusualDisks {
    /** What libvirt's parser turns into a space in an attribute value, and so in its snapshots' copy of a path. */
    private static final Pattern ODD_WHITE_SPACE = Pattern.compile("[\\n\\r\\t]");

    private UnusualDisks() {
    }

    private static String shown(String path) {
        return dev.esm.api.SnapshotName.printable(path);
    }

    /** Refuses an eligible disk that no overlay can serve right: odd white space in its path, encryption, a slice. */
    static void refuse(DiskDef d, String domain) {
        String source = d.source().orElseThrow();
        if (ODD_WHITE_SPACE.matcher(source).find()) {
            throw new UnsupportedDiskException("the path of " + d.target() + "'s image, '" + shown(source) + "', holds"
                    + " a newline, carriage return or tab; libvirt keeps such a path in the domain, but its copy of the"
                    + " domain in each snapshot has the character turned into a space, so no snapshot could be"
                    + " reverted to: rename the file or folder and point the disk at the new name (virsh edit "
                    + domain + ")");
        }
        if (d.encrypted()) {
            throw new UnsupportedDiskException("disk " + d.target() + " of domain '" + domain + "' is encrypted"
                    + " (<encryption> in its definition); ESM's overlays are not encrypted, so the guest's new writes"
                    + " would be stored in clear, and libvirt cannot hand the secret to an encrypted image below an"
                    + " overlay: leave the disk out of snapshots (snapshot='no' in its <disk>) or decrypt it"
                    + " (qemu-img convert) first");
        }
        if (d.sliced()) {
            throw new UnsupportedDiskException("disk " + d.target() + " of domain '" + domain + "' uses a slice of"
                    + " its image (<slices> in its <source>); an overlay would show the guest the whole file: leave"
                    + " the disk out of snapshots (snapshot='no') or copy the slice to an image of its own");
        }
    }

    /** Refuses a setup folder whose path libvirt's snapshot metadata would change. */
    static void refuseOddFolder(String directory) {
        if (ODD_WHITE_SPACE.matcher(directory).find()) {
            throw new InvalidOperationException("the folder '" + shown(directory) + "' holds a newline, carriage"
                    + " return or tab, which libvirt's snapshot metadata turns into a space: choose another");
        }
    }

    /**
     * Refuses a folder so deep that a later overlay's path, which the overlay above it records as its backing file
     * name, could not fit the 1023 bytes a qcow2 header holds: every snapshot would fail there, forever.
     */
    static void checkSetupFolder(String directory, String disksDir, String stem, String target) {
        int longest = Names.longestOverlayPath(disksDir, stem);
        if (longest > Names.MAX_BACKING_NAME_BYTES) {
            throw new StorageException("setup into '" + directory + "' would make the overlays of " + target
                    + " paths of up to " + longest + " bytes, and every later overlay records its backing image's"
                    + " path in a qcow2 header, which holds at most " + Names.MAX_BACKING_NAME_BYTES + " bytes: no"
                    + " snapshot could ever be taken; choose a folder with a shorter path");
        }
    }

    /**
     * Refuses to set up an image that is a symbolic link: moving it would move the link and leave the image where
     * it is, still writable under its own name.
     *
     * @param link the link's text, or null when the image is no link
     */
    static void refuseLink(DiskImage img, String link, String domain) {
        if (link == null) {
            return;
        }
        String real = link.startsWith("/") ? link : Names.join(Names.directory(img.path()), link);
        throw new UnsupportedDiskException("the image of " + img.target() + ", " + img.path() + ", is a symbolic"
                + " link to " + real + "; setup moves images, and moving a link would leave the image itself where it"
                + " is, open to writes: point the disk at " + real + " (virsh edit " + domain + ") or put the image"
                + " itself in place of the link, then run setup again");
    }

    /**
     * @param img the image setup moves
     * @param to where it is placed
     * @param backing its backing reference, or null when it has none
     * @return the step that points the placed image at its backing file's absolute path, when the name it records
     *     is relative to its old folder (from the new one it would name another file)
     */
    static Optional<Step> absoluteBacking(DiskImage img, String to, SetupFacts.Backing backing) {
        if (backing == null || !backing.relative()) {
            return Optional.empty();
        }
        if (!backing.formatRecorded()) {
            throw new UnsupportedDiskException("the image of " + img.target() + ", " + img.path() + ", names its"
                    + " backing file '" + backing.reference() + "' without its format, and ESM never probes formats:"
                    + " record it (qemu-img rebase -u -F <format> -b '" + backing.reference() + "' " + img.path()
                    + "), then run setup again");
        }
        return Optional.of(new Step.Rebase(to, backing.resolved()));
    }
}
