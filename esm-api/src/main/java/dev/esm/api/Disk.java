package dev.esm.api;

import java.util.Optional;
import java.util.Set;

/**
 * One disk of a domain as ESM sees it.
 *
 * @param target the target device, e.g. {@code vda}
 * @param device libvirt's device kind: {@code disk}, {@code cdrom}, {@code floppy} or {@code lun}
 * @param source the active image's path or block device, if any
 * @param format the active image's format, if known and supported
 * @param ineligible why the disk does not take part in snapshots: left out, or refusing the domain's snapshots
 *        until it is left out ({@link Ineligibility#leavesOut()}); empty for an eligible disk
 */
public record Disk(String target, String device, Optional<String> source, Optional<ImageFormat> format,
                   Set<Ineligibility> ineligible) {
    /**
     * Checks the components and keeps immutable copies of the collections.
     *
     * @param target the target device, e.g. {@code vda}
     * @param device libvirt's device kind: {@code disk}, {@code cdrom}, {@code floppy} or {@code lun}
     * @param source the active image's path or block device, if any
     * @param format the active image's format, if known and supported
     * @param ineligible why the disk does not take part in snapshots (see {@link Ineligibility}); empty for an
     *        eligible disk
     */
    public Disk {
        ineligible = Set.copyOf(ineligible);
    }

    /** @return whether the disk takes part in snapshots */
    public boolean eligible() {
        return ineligible.isEmpty();
    }
}
