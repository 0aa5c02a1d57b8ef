package dev.esm.api;

/**
 * Deletes a snapshot; see {@link DomainSnapshots#delete(String)}. Returns the chain afterwards.
 */
public interface DeleteCommand extends MergeCommand<SnapshotChain> {
    @Override
    DeleteCommand progress(ProgressListener listener);
}
