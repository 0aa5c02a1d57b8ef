package dev.esm.core.port;

import dev.esm.api.errors.OperationCancelledException;

/**
 * A flag a long job polls to learn that its caller wants it to stop, and the lease it must still hold before each
 * change it makes part-way ({@link #ensureOwner}). Thread-safe.
 */
public final class Cancellation {
    private volatile boolean cancelled;
    private volatile Thread owner;
    private volatile Storage.Lease lease;

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

    /** @param held the lease the operation holds from now on: {@link #ensureOwner} proves it */
    public void guardedBy(Storage.Lease held) {
        this.lease = held;
    }

    /**
     * Called by a long job before each change it makes part-way (a pivot, an abort, a clean-up after a wait): a job
     * whose operation lost its lease makes none.
     *
     * @throws dev.esm.api.errors.LeaseLostException when the operation's lease can no longer be proven held
     */
    public void ensureOwner() {
        Storage.Lease held = lease;
        if (held != null) {
            held.ensureHeld();
        }
    }
}
