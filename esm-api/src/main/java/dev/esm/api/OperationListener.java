package dev.esm.api;

/**
 * Told of every changing operation and every step it runs: for audit logs, metrics and tracing. Given to
 * {@link SnapshotManager.Builder#listener(OperationListener)}; every method does nothing unless overridden.
 *
 * <pre>{@code
 * SnapshotManager esm = SnapshotManager.builder("qemu:///system")
 *         .listener(new OperationListener() {
 *             public void operationFinished(OperationEvent e) {
 *                 audit.log(e.domain(), e.operation(), e.target(), e.outcome(), e.duration());
 *             }
 *         })
 *         .connect();
 * }</pre>
 *
 * <p>Calls come from the thread that runs the operation, and from ESM's merge threads for the steps of merges that
 * run at once (one per disk): an implementation must be thread-safe. It should return quickly: the domain's lock is
 * held meanwhile. An exception it throws is logged and ignored; it never changes what the operation does. Recovery
 * of an operation a stopped process left is reported through {@link #recovered(String, Recovery)}, not as steps.
 * Reads ({@code chain()}, {@code info()}, {@code verify()}) and dry runs ({@code plan()}) are not reported.
 */
public interface OperationListener {
    /** A listener that does nothing. */
    OperationListener NONE = new OperationListener() { };

    /**
     * An operation has been planned and starts its first step (the domain's lock is held).
     *
     * @param event the operation; its outcome is {@link Outcome#RUNNING}
     */
    default void operationStarted(OperationEvent event) {
    }

    /**
     * An operation has ended: succeeded, failed (what ran was undone or completed) or was cancelled. Also sent for
     * an operation that failed before its first step (refused by the planner): then without a start event, with
     * zero steps.
     *
     * @param event the operation and how it ended
     */
    default void operationFinished(OperationEvent event) {
    }

    /**
     * A step starts.
     *
     * @param event the step; its outcome is {@link Outcome#RUNNING}
     */
    default void stepStarted(StepEvent event) {
    }

    /**
     * A step has ended.
     *
     * @param event the step and how it ended
     */
    default void stepFinished(StepEvent event) {
    }

    /**
     * An operation that a stopped process left unfinished was completed or undone, before the next operation (or by
     * {@link DomainSnapshots#recover()}).
     *
     * @param domain the domain's name
     * @param recovery what was done
     */
    default void recovered(String domain, Recovery recovery) {
    }
}
