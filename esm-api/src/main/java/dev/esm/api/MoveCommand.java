package dev.esm.api;

/**
 * Moves a domain with its whole snapshot tree to another host: every frozen image, the active layer, memory files and
 * firmware-state copies are copied to the target through its storage, each checked by CRC32C as the target reads it
 * back; the domain is defined there and every snapshot redefined (parents and the current one kept); the target is
 * verified; only then is the domain removed from this host, metadata and files. Made by
 * {@link DomainSnapshots#moveTo(SnapshotManager)}; single-use. {@link #execute()} returns the domain on the target.
 *
 * <p>A frozen image the target already holds from an earlier {@link ReplicateCommand replication} (the same
 * snapshot, the same size, the checksum recorded when it was copied) is not copied again.
 *
 * <p>A running domain is refused with {@link dev.esm.api.errors.DomainStateException} unless the move is
 * {@link #live()}: its frozen images are then copied while the guest runs, the snapshots' metadata is put aside
 * (libvirt refuses to migrate a domain with snapshots; the journal keeps it), and libvirt's live migration copies only
 * the disks' active layers onto overlays made on those copies; the metadata is redefined there after. A migration that
 * fails puts the metadata back, and the guest runs on here.
 * Refused before anything moves: a domain of the same name or UUID on the target, a domain ESM has not set up, an
 * operation in progress on the domain.
 */
public interface MoveCommand extends Command<DomainSnapshots> {

    /**
     * Puts the domain's files in {@code directory} on the target instead of at the paths they have here: files of
     * ESM's folder keep their place below it, other files (a base image elsewhere, the firmware variables) go in
     * it by name; the definitions and the images' backing references are rewritten to match.
     *
     * @param directory an absolute folder on the target
     * @return this command
     */
    MoveCommand path(String directory);

    /**
     * Moves a running domain live (a shut-off one is moved as without this).
     *
     * @return this command
     */
    MoveCommand live();

    /**
     * Where this host's QEMU reaches the target's QEMU for a live move's memory and disk streams (a host name or
     * address); by default libvirt's choice, the target's host name.
     *
     * @param address a host name or an IP address
     * @return this command
     */
    MoveCommand migrationAddress(String address);

    /**
     * @param listener told of the bytes copied so far
     * @return this command
     */
    MoveCommand progress(ProgressListener listener);

    /**
     * Asks a running {@code execute()} to stop as soon as it safely can: a copy stops between chunks and what was sent
     * is removed again; past the point of no return the operation is completed instead. Thread-safe; a no-op once it
     * has finished.
     */
    void cancel();
}
