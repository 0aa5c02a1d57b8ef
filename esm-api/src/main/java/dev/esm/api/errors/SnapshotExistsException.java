package dev.esm.api.errors;

/**
 * A snapshot of that name exists already (names are unique per domain). Nothing was changed; pick another name or delete the old snapshot first.
 */
public class SnapshotExistsException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    public SnapshotExistsException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying error, e.g. libvirt's
     */
    public SnapshotExistsException(String message, Throwable cause) {
        super(message, cause);
    }
}
