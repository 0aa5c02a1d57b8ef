package dev.esm.api;

/**
 * Keeps a standby copy of a domain's snapshot tree on another host, in step incrementally: the first run copies every
 * frozen image, memory file and firmware-state copy; a later run copies only what is new since (a frozen image never
 * changes, so one the target holds from an earlier run, recorded there with its size and checksum, stays), removes
 * from the standby what was deleted here, and redefines the snapshots. The standby is a defined, shut-off domain of
 * the same name and UUID whose disks are empty overlays on the current snapshot's images: started on its own, it
 * runs the last replicated snapshot; a later {@link MoveCommand move} to that host copies only what is new. Made by
 * {@link DomainSnapshots#replicateTo(SnapshotManager)}; single-use.
 *
 * <p>The domain may be running: frozen images do not change under it, and its active layer is not copied.
 */
public interface ReplicateCommand extends Command<Replication> {

    /**
     * Puts the standby's files in {@code directory} on the target (see {@link MoveCommand#path(String)}); every run
     * of one standby must use the same folder.
     *
     * @param directory an absolute folder on the target
     * @return this command
     */
    ReplicateCommand path(String directory);

    /**
     * @param listener told of the bytes copied so far
     * @return this command
     */
    ReplicateCommand progress(ProgressListener listener);

    /**
     * Asks a running {@code execute()} to stop as soon as it safely can: a copy stops between chunks and what was sent
     * is removed again; past the point of no return the operation is completed instead. Thread-safe; a no-op once it
     * has finished.
     */
    void cancel();
}
