package dev.esm.api.errors;

/**
 * The domain has no snapshot of that name. Nothing was changed; list the snapshots with {@link dev.esm.api.DomainSnapshots#chain()}.
 */
public class SnapshotNotFoundException extends EsmException {
    private static final long serialVersionUID = 1L;

    public SnapshotNotFoundException(String message) {
        super(message);
    }

    public SnapshotNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
