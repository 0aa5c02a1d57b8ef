package dev.esm.api;

/** The operations that change a domain's snapshots. */
public enum Operation {
    /** {@link DomainSnapshots#setup(String)} */
    SETUP,
    /** {@link DomainSnapshots#snapshot(String)} */
    CREATE,
    /** {@link DomainSnapshots#revert(String)} */
    REVERT,
    /** {@link DomainSnapshots#refresh()} */
    REFRESH,
    /** {@link DomainSnapshots#delete(String)} */
    DELETE,
    /** {@link DomainSnapshots#commit(String, String)} */
    COMMIT,
    /** {@link DomainSnapshots#moveTo(SnapshotManager)} */
    MOVE,
    /** {@link DomainSnapshots#replicateTo(SnapshotManager)} */
    REPLICATE
}
