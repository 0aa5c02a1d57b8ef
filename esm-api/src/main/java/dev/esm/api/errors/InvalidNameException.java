package dev.esm.api.errors;

/**
 * A snapshot name breaks the naming rules (see {@link dev.esm.api.SnapshotName}). Nothing was changed.
 */
public class InvalidNameException extends EsmException {
    private static final long serialVersionUID = 1L;

    public InvalidNameException(String message) {
        super(message);
    }

    public InvalidNameException(String message, Throwable cause) {
        super(message, cause);
    }
}
