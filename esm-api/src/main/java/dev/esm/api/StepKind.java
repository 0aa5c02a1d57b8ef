package dev.esm.api;

/** The kinds of step a {@link Plan} is made of. */
public enum StepKind {
    /** Power the domain off. */
    STOP_DOMAIN,
    /** Create a folder. */
    MAKE_DIRECTORY,
    /** Move an image to a new path (hard link, or an fsynced copy, before the old name is removed). */
    MOVE_IMAGE,
    /** Create an empty qcow2 overlay on top of a backing image. */
    CREATE_OVERLAY,
    /** Ask libvirt to take an external disk snapshot on prepared overlays, all disks at once. */
    CREATE_SNAPSHOT,
    /** Redefine the domain's persistent definition (disk sources, ESM's record). */
    DEFINE_DOMAIN,
    /** Rewrite libvirt's metadata of a snapshot (parent, images, current flag). */
    REDEFINE_SNAPSHOT,
    /** Make libvirt's metadata say that no snapshot is current (the base is). */
    CLEAR_CURRENT,
    /** Merge images into a lower one (libvirt block commit live, {@code qemu-img commit} offline). */
    MERGE,
    /**
     * Pull into an image the data of the images between it and a lower one, which becomes its backing image: the
     * image shows what it showed, on a shorter chain (a libvirt block pull on a running domain, {@code qemu-img
     * rebase} offline). What keeps a disk's chain within {@link Settings#maxChainDepth()}.
     */
    PULL,
    /** Point an image's header at a new backing image whose content is the same (no data is copied). */
    REBASE,
    /** Remove a snapshot's libvirt metadata (its children are re-parented to its parent). */
    REMOVE_SNAPSHOT,
    /** Remove a file nothing references any more. */
    REMOVE_FILE,
    /** Start the domain. */
    START_DOMAIN,
    /**
     * Start the domain from a memory snapshot's memory file (libvirt restore), on fresh overlays, running or
     * paused; the memory file is only read.
     */
    RESTORE_MEMORY,
    /** Pause the running domain (for a moment: its firmware variables and disks are copied at one instant). */
    PAUSE_DOMAIN,
    /** Let the domain paused for a snapshot run again. */
    RESUME_DOMAIN,
    /** Copy the firmware's variables file (UEFI VARS) to the snapshot's own copy, owner-only. */
    SAVE_FIRMWARE,
    /** Put a snapshot's copy of the firmware variables back in the domain's variables file. */
    RESTORE_FIRMWARE,
    /** Copy the persistent state file of the domain's emulated TPM (swtpm) to the snapshot's own copy, owner-only. */
    SAVE_TPM_STATE,
    /**
     * Put a snapshot's copy of the TPM state back in the TPM's state file, which keeps its owner, group and mode
     * (swtpm reads it as its own user).
     */
    RESTORE_TPM_STATE,
    /** Copy a file to another host through its storage, checked by the CRC32C of what the target reads back. */
    COPY_FILE,
    /** Define the domain on another host (a move or replication). */
    DEFINE_ON_TARGET,
    /** Redefine the snapshots' metadata on another host, parents first, the current one marked. */
    REDEFINE_ON_TARGET,
    /** Check the domain on another host: every snapshot there, every chain complete. */
    VERIFY_TARGET,
    /** Remove the domain's definition and snapshot metadata from this host (its files are removed step by step). */
    UNDEFINE_DOMAIN,
    /** Migrate the running domain live to another host, copying only its disks' active layers. */
    MIGRATE
}
