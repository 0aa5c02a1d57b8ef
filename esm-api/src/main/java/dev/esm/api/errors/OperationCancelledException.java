package dev.esm.api.errors;

/**
 * A delete or commit was cancelled. Every surviving snapshot and the current state are readable with their
 * contents; the message says which snapshots were removed before the cancellation took effect.
 */
public class OperationCancelledException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    public OperationCancelledException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying error, e.g. libvirt's
     */
    public OperationCancelledException(String message, Throwable cause) {
        super(message, cause);
    }
}
