package dev.esm.core.model;

import dev.esm.api.Disk;
import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.Ineligibility;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * One {@code <disk>} of a domain definition.
 *
 * @param target the target device, e.g. {@code vda}
 * @param device {@code disk}, {@code cdrom}, {@code floppy} or {@code lun}
 * @param type the source type: {@code file}, {@code block}, {@code network}, {@code volume}, ...
 * @param source the file path or block device, if any
 * @param driverType the format in {@code <driver type=..>}, if given
 * @param readonly whether {@code <readonly/>} is set
 * @param shareable whether {@code <shareable/>} is set
 * @param snapshotMode the {@code snapshot} attribute, if set
 * @param details the names of the elements inside {@code <source>} (e.g. {@code encryption}, {@code slices},
 *     {@code seclabel}), and {@code encryption} also when given directly in {@code <disk>} (libvirt's older place)
 */
public record DiskDef(String target, String device, String type, Optional<String> source,
                      Optional<String> driverType, boolean readonly, boolean shareable,
                      Optional<String> snapshotMode, Set<String> details) {
    public DiskDef {
        details = Set.copyOf(details);
    }

    /** A disk without details in its source. */
    public DiskDef(String target, String device, String type, Optional<String> source, Optional<String> driverType,
                   boolean readonly, boolean shareable, Optional<String> snapshotMode) {
        this(target, device, type, source, driverType, readonly, shareable, snapshotMode, Set.of());
    }

    /** @return whether the disk's image is encrypted ({@code <encryption>}): QEMU needs a secret to open it */
    public boolean encrypted() {
        return details.contains("encryption");
    }

    /** @return whether the disk uses only a slice (an offset and size) of its image ({@code <slices>}) */
    public boolean sliced() {
        return details.contains("slices");
    }

    /** @return why this disk is left out of snapshots; empty when it is eligible (docs/semantics.md, "Words") */
    public Set<Ineligibility> ineligibility() {
        Set<Ineligibility> why = EnumSet.noneOf(Ineligibility.class);
        switch (device) {
            case "cdrom" -> why.add(Ineligibility.CDROM);
            case "floppy" -> why.add(Ineligibility.FLOPPY);
            case "lun" -> why.add(Ineligibility.LUN);
            default -> { }
        }
        if (readonly) {
            why.add(Ineligibility.READONLY);
        }
        if (shareable) {
            why.add(Ineligibility.SHAREABLE);
        }
        if (snapshotMode.filter("no"::equals).isPresent()) {
            why.add(Ineligibility.SNAPSHOT_NO);
        }
        if (!type.equals("file") && !type.equals("block")) {
            why.add(Ineligibility.UNSUPPORTED_SOURCE);
        } else if (source.isEmpty()) {
            why.add(Ineligibility.NO_SOURCE);
        }
        return why;
    }

    /** @return whether the disk takes part in snapshots */
    public boolean eligible() {
        return ineligibility().isEmpty();
    }

    /** @return whether the source is a block device (overlays must then go elsewhere) */
    public boolean isBlock() {
        return type.equals("block");
    }

    /** @return the format, if given and one ESM handles */
    public Optional<ImageFormat> format() {
        return driverType.flatMap(ImageFormat::fromId);
    }

    /** @return the active image, for an eligible disk with a known format */
    public Optional<DiskImage> image() {
        if (source.isEmpty() || format().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new DiskImage(target, source.get(), format().get()));
    }

    /** @return the API's view of this disk */
    public Disk toApi() {
        Set<Ineligibility> why = ineligibility();
        if (why.isEmpty()) {
            why = refusals();
        }
        return new Disk(target, device, source, format(), why);
    }

    /**
     * @return why create refuses the domain while this (otherwise eligible) disk takes part; the planner's
     *         refusals ({@code Planner}, {@code UnusualDisks}) are these, with their messages
     */
    public Set<Ineligibility> refusals() {
        Set<Ineligibility> why = EnumSet.noneOf(Ineligibility.class);
        if (format().isEmpty()) {
            why.add(Ineligibility.UNSUPPORTED_FORMAT);
        }
        if (encrypted()) {
            why.add(Ineligibility.ENCRYPTED);
        }
        if (sliced()) {
            why.add(Ineligibility.SLICED);
        }
        if (source.filter(p -> p.indexOf('\n') >= 0 || p.indexOf('\r') >= 0 || p.indexOf('\t') >= 0).isPresent()) {
            why.add(Ineligibility.CONTROL_CHARACTER_IN_PATH);
        }
        return why;
    }
}
