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
 * <p>The domain must be shut off: a live move is refused with {@link dev.esm.api.errors.DomainStateException}.
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
     * @param listener told of the bytes copied so far
     * @return this command
     */
    MoveCommand progress(ProgressListener listener);
}
