package dev.esm.api.errors;

/**
 * No domain of that name exists on the connection. Nothing was changed; check the name with {@code virsh list --all}.
 */
public class DomainNotFoundException extends EsmException {
    private static final long serialVersionUID = 1L;

    public DomainNotFoundException(String message) {
        super(message);
    }

    public DomainNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
