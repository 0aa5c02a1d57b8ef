package dev.esm.api;

/**
 * Why a disk does not take part in snapshots. See {@link Disk#ineligible()}. Most reasons leave the disk out of
 * snapshots quietly ({@link #leavesOut()}); the others name a disk ESM cannot serve right, and while such a disk
 * would take part, every snapshot of the domain is refused ({@code UnsupportedDiskException}, naming the disk)
 * until it is left out ({@code snapshot='no'} in its {@code <disk>}) or changed. So {@link DomainSnapshots#disks()}
 * and {@link CreateCommand} agree: a disk {@link Disk#eligible()} calls eligible is never the cause of a refusal.
 */
public enum Ineligibility {
    /** A CD-ROM drive. */
    CDROM,
    /** A floppy drive. */
    FLOPPY,
    /** A SCSI LUN passed through. */
    LUN,
    /** Marked {@code <readonly/>}. */
    READONLY,
    /** Marked {@code <shareable/>}: other domains may write it. */
    SHAREABLE,
    /** Marked {@code snapshot='no'} in the domain XML. */
    SNAPSHOT_NO,
    /** Not backed by a file or a block device (network, volume, ...). */
    UNSUPPORTED_SOURCE,
    /** No source at all (an empty drive). */
    NO_SOURCE,
    /** Refuses snapshots: the disk names no format, or one other than qcow2 and raw (formats are never probed). */
    UNSUPPORTED_FORMAT,
    /** Refuses snapshots: the image is encrypted ({@code <encryption>}); overlays would hold new writes in clear. */
    ENCRYPTED,
    /** Refuses snapshots: the disk uses a slice of its image ({@code <slices>}); an overlay would show it whole. */
    SLICED,
    /**
     * Refuses snapshots: the image's path holds a newline, carriage return or tab, which libvirt's copy of the
     * domain in each snapshot turns into a space.
     */
    CONTROL_CHARACTER_IN_PATH;

    /** @return whether this reason leaves the disk out quietly, rather than refusing the domain's snapshots */
    public boolean leavesOut() {
        return ordinal() <= NO_SOURCE.ordinal();
    }
}
