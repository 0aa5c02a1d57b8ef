package dev.esm.api.errors;

/**
 * A snapshot name breaks the naming rules (see {@link dev.esm.api.SnapshotName}). Nothing was changed.
 */
public class InvalidNameException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    public InvalidNameException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying error, e.g. libvirt's
     */
    public InvalidNameException(String message, Throwable cause) {
        super(message, cause);
    }
}
