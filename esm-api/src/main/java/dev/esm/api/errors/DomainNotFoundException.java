package dev.esm.api.errors;

/**
 * No domain of that name exists on the connection. Nothing was changed; check the name with {@code virsh list --all}.
 */
public class DomainNotFoundException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    public DomainNotFoundException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying error, e.g. libvirt's
     */
    public DomainNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
