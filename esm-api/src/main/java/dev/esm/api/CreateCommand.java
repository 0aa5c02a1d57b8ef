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
     * Also saves the domain's memory and device state, at the same instant as its disks (a <em>memory
     * snapshot</em>; see {@link RevertCommand#running()}). The guest is paused while its memory is written to a
     * file beside the frozen images ({@code <snapshot>.<UTC time>.memory}, owner-only; about the size of the
     * guest's RAM in use), then resumes. Needs a running or paused domain: on a shut-off domain the command
     * fails with {@link dev.esm.api.errors.DomainStateException} and changes nothing. Cannot be combined with
     * {@link #quiesce()}.
     *
     * @return this command
     */
    CreateCommand memory();

    /**
     * Takes the snapshot (the verb; same as {@link #execute()}).
     *
     * @return the new snapshot, now the current one
     * @throws dev.esm.api.errors.SnapshotExistsException if the domain has a snapshot of that name
     * @throws dev.esm.api.errors.EsmException as {@link #execute()}
     */
    default Snapshot create() {
        return execute();
    }
}
