package dev.esm.api;

/**
 * Shortens a chain; see {@link DomainSnapshots#commit(String, String)}. Returns the chain afterwards.
 */
public interface CommitCommand extends MergeCommand<SnapshotChain> {
    @Override
    CommitCommand progress(ProgressListener listener);
}
