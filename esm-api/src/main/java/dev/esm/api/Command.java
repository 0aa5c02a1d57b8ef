package dev.esm.api;

/**
 * A single-use command: set options, then run it once with {@link #execute()}, or look at its
 * {@link #plan()} first. Running a command again after it succeeded, or setting an option then, throws
 * {@link IllegalStateException}; a run that failed may be repeated (it is planned again against the domain as it
 * is then; a cancelled command stays cancelled). Not thread-safe; make one per use.
 *
 * @param <R> what running it returns
 */
public interface Command<R> {

    /**
     * Plans the command against the domain as it is now, without changing anything (a dry run). Checks
     * every argument and state the real run checks, and throws the same exceptions.
     *
     * @return the steps a run would take now
     * @throws dev.esm.api.errors.EsmException as {@link #execute()} would, before it changes anything
     */
    Plan plan();

    /**
     * Runs the command. Every step runs, or, when one fails, what ran is undone (or, past a step that cannot be
     * undone, the operation is completed) and the exception says which.
     *
     * @return the result
     * @throws dev.esm.api.errors.SnapshotNotFoundException if a snapshot it names does not exist
     * @throws dev.esm.api.errors.SnapshotExistsException if it would make a snapshot whose name is taken
     * @throws dev.esm.api.errors.InvalidOperationException if the tree or the options forbid it (nothing changed)
     * @throws dev.esm.api.errors.DomainStateException if the domain is in a state the command refuses (nothing
     *         changed)
     * @throws dev.esm.api.errors.UnsupportedDiskException if a disk cannot take part (nothing changed)
     * @throws dev.esm.api.errors.DomainBusyException if another operation on the domain held it too long
     * @throws dev.esm.api.errors.OperationCancelledException if a merge was cancelled
     * @throws dev.esm.api.errors.HypervisorException if libvirt or QEMU failed a call (libvirt's code kept)
     * @throws dev.esm.api.errors.StorageException if an image could not be read, written or merged
     * @throws IllegalStateException if the command ran successfully already
     */
    R execute();
}
