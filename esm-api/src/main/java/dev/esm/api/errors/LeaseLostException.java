package dev.esm.api.errors;

/**
 * This client lost a domain's lease to another client while it ran an operation, and stopped at once: it made no
 * further change to the domain, its images or its lease. Over a remote URI a domain's lease must be renewed in time;
 * a client that could not prove it renewed it (its process was paused, its link was too slow) is taken over by the
 * next client that waits for the domain, which completes or undoes the operation from its journal.
 *
 * <p>{@link #fate()} says what became of the operation, as far as this client could see before it returned: a client
 * whose operation another client completed may treat it as done.
 */
public final class LeaseLostException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** What became of the operation this client was running when it lost the lease. */
    public enum Fate {
        /** Another client completed it (from its journal): it took effect. */
        COMPLETED,
        /** Another client undid it (from its journal): nothing of it is left. */
        UNDONE,
        /** Not known yet: its journal is on the host, for the new owner's (or an {@code esm recover}'s) recovery. */
        PENDING
    }

    /** What became of the operation: part of the serialized form. */
    private final Fate fate;

    /**
     * @param message what happened and what to do about it
     * @param fate what became of the operation
     */
    public LeaseLostException(String message, Fate fate) {
        super(message);
        this.fate = java.util.Objects.requireNonNull(fate, "fate");
    }

    /**
     * @param message what happened and what to do about it
     * @param fate what became of the operation
     * @param cause the first sign of the loss
     */
    public LeaseLostException(String message, Fate fate, Throwable cause) {
        super(message, cause);
        this.fate = java.util.Objects.requireNonNull(fate, "fate");
    }

    /** @return what became of the operation */
    public Fate fate() {
        return fate;
    }

    /** @return whether the operation took effect (another client completed it) */
    public boolean tookEffect() {
        return fate == Fate.COMPLETED;
    }
}
