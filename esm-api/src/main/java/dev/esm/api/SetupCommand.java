package dev.esm.api;

/**
 * Sets a shut-off domain up for snapshots; see {@link DomainSnapshots#setup(String)}. Returns the chain after
 * setup, whose current snapshot is the base.
 */
public interface SetupCommand extends Command<SnapshotChain> {
}
