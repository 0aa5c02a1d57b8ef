package dev.esm.api.errors;

/**
 * A delete or commit was cancelled. Every surviving snapshot and the current state are readable with their
 * contents; the message says which snapshots were removed before the cancellation took effect.
 */
public class OperationCancelledException extends EsmException {
    private static final long serialVersionUID = 1L;

    public OperationCancelledException(String message) {
        super(message);
    }

    public OperationCancelledException(String message, Throwable cause) {
        super(message, cause);
    }
}
