package dev.esm.api;

/** Why a disk does not take part in snapshots. See {@link Disk#ineligible()}. */
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
    NO_SOURCE
}
