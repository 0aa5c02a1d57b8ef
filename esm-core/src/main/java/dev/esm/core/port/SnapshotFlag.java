package dev.esm.core.port;

/** Options of a snapshot creation request; the implementation maps each to libvirt's bit. */
public enum SnapshotFlag {
    /** Disks only, no memory state ({@code VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY}). */
    DISK_ONLY,
    /** Use the overlays ESM created ({@code VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT}). */
    REUSE_EXTERNAL,
    /** All disks or none ({@code VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC}). */
    ATOMIC,
    /** Freeze guest file systems through the guest agent ({@code VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE}). */
    QUIESCE
}
