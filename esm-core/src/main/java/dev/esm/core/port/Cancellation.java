package dev.esm.core.port;

import dev.esm.api.errors.OperationCancelledException;

/**
 * A flag a long job polls to learn that its caller wants it to stop. The lease the job must still hold before each
 * change it makes part-way is not here: it proves it with {@link Fencing#check()}, bound to the thread that runs the
 * job for the change. Thread-safe.
 */
public final class Cancellation {
    private volatile boolean cancelled;
    private volatile Thread owner;

    /** @param owner the thread running the operation; its interruption counts as a cancellation too */
    public Cancellation(Thread owner) {
        this.owner = owner;
    }

    /** @return a token that is never cancelled */
    public static Cancellation none() {
        return new Cancellation(null);
    }

    /** @param thread the thread running the operation from now on; its interruption counts as a cancellation */
    public void runningOn(Thread thread) {
        this.owner = thread;
    }

    /** Asks the operation to stop. */
    public void cancel() {
        cancelled = true;
    }

    /** @return whether the operation should stop */
    public boolean isCancelled() {
        return cancelled || (owner != null && owner.isInterrupted());
    }

    /** @throws OperationCancelledException when cancelled */
    public void check(String doing) {
        if (isCancelled()) {
            throw new OperationCancelledException(doing + " was cancelled");
        }
    }
}
