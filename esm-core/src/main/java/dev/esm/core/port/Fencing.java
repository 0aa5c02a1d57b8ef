package dev.esm.core.port;

/**
 * The lease the change being made through the port must still hold, for the adapters' calls in between: the engine
 * binds it on the thread that makes each change, for the duration of that change ({@link #during}), and an adapter
 * whose change takes several calls (a volume made, then written; looked up, then deleted) proves it again before each
 * later one ({@link #check}), so that a process paused between two calls of one change makes no further change once
 * its lease has passed to another client. Outside a change, or with a lock that cannot be lost, {@link #check} does
 * nothing. Thread-safe (one binding per thread).
 */
public final class Fencing {
    private static final ThreadLocal<StateStore.Lease> HELD = new ThreadLocal<>();

    private Fencing() {
    }

    /** Runs {@code change} with {@code lease} bound to this thread (restoring what was bound before). */
    public static void during(StateStore.Lease lease, Runnable change) {
        StateStore.Lease before = HELD.get();
        HELD.set(lease);
        try {
            change.run();
        } finally {
            if (before == null) {
                HELD.remove();
            } else {
                HELD.set(before);
            }
        }
    }

    /**
     * Proves the lease bound to this thread, if any, before a further call of the change under way.
     *
     * @throws dev.esm.api.errors.LeaseLostException when it can no longer be proven held
     */
    public static void check() {
        StateStore.Lease lease = HELD.get();
        if (lease != null) {
            lease.ensureHeld();
        }
    }
}
