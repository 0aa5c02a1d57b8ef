package dev.esm.api.errors;

/**
 * The domain has no snapshot of that name. Nothing was changed; list the snapshots with {@link dev.esm.api.DomainSnapshots#chain()}.
 */
public class SnapshotNotFoundException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    public SnapshotNotFoundException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying error, e.g. libvirt's
     */
    public SnapshotNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
