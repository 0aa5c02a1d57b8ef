package dev.esm.api.errors;

/**
 * The domain is in the wrong state for the operation, e.g. running where the operation needs it shut off. Nothing was changed; the message says which state is needed.
 */
public class DomainStateException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    public DomainStateException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying error, e.g. libvirt's
     */
    public DomainStateException(String message, Throwable cause) {
        super(message, cause);
    }
}
