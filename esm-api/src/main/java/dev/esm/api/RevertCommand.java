package dev.esm.api;

/**
 * Reverts a domain to a snapshot or to the base, or refreshes the current one; see
 * {@link DomainSnapshots#revert(String)} and {@link DomainSnapshots#refresh()}. The domain must be shut off,
 * unless {@link #stopIfRunning()} is set.
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
     * Start the domain once it runs on the fresh overlays.
     *
     * @return this command
     */
    RevertCommand start();
}
