package dev.esm.api;

/**
 * Takes a snapshot; see {@link DomainSnapshots#snapshot(String)}.
 *
 * <pre>{@code
 * Snapshot s = domain.snapshot("pre-upgrade").description("before the 2.0 upgrade").create();
 * }</pre>
 */
public interface CreateCommand extends Command<Snapshot> {

    /**
     * @param text a free-text description kept with the snapshot
     * @return this command
     */
    CreateCommand description(String text);

    /**
     * Asks the guest agent to freeze the guest's file systems while the snapshot is taken. Needs a running
     * domain with the QEMU guest agent; fails otherwise.
     *
     * @return this command
     */
    CreateCommand quiesce();

    /**
     * Takes the snapshot (the verb; same as {@link #execute()}).
     *
     * @return the new snapshot, now the current one
     */
    default Snapshot create() {
        return execute();
    }
}
