package dev.esm.api;

/**
 * Reverts a domain to a snapshot or to the base, or refreshes the current one; see
 * {@link DomainSnapshots#revert(String)} and {@link DomainSnapshots#refresh()}. The domain must be shut off,
 * unless {@link #stopIfRunning()}, {@link #running()} or {@link #paused()} is set.
 */
public interface RevertCommand extends Command<Snapshot> {

    /**
     * If the domain is running, power it off first (like pulling the plug: its unsaved state is discarded
     * together with the active layer). Without this, reverting a running domain fails with
     * {@link dev.esm.api.errors.DomainStateException} and changes nothing.
     *
     * @return this command
     */
    RevertCommand stopIfRunning();

    /**
     * Start the domain once it runs on the fresh overlays (a cold boot).
     *
     * @return this command
     */
    RevertCommand start();

    /**
     * For a snapshot with memory ({@link Snapshot#hasMemory()}): bring the domain back <em>running</em>, exactly
     * as it was at the snapshot's instant (RAM, devices and disks), on fresh overlays. A running or paused domain
     * is powered off first (its state is discarded, as the revert asks; {@link #stopIfRunning()} is implied).
     * The memory file is only read, so this can be repeated any number of times with the same result.
     * Without this (or {@link #paused()}), reverting a memory snapshot gives its disks, shut off.
     *
     * <p>Refused with {@link dev.esm.api.errors.InvalidOperationException}, changing nothing, for a disk-only
     * snapshot or the base, and together with {@link #start()}. If restoring the memory fails after the disks
     * were reverted (e.g. a damaged memory file), the domain is left shut off on the snapshot's disks and the
     * failure is thrown.
     *
     * @return this command
     */
    RevertCommand running();

    /**
     * Like {@link #running()}, but the domain is left paused at the snapshot's instant (resume it to let the
     * guest run).
     *
     * @return this command
     */
    RevertCommand paused();
}
