package dev.esm.api.errors;

/**
 * The root of ESM's exceptions. Unchecked: callers catch what they can act on, usually one of the
 * subclasses. The message names what went wrong and what to do about it.
 */
public abstract class EsmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    protected EsmException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying error, e.g. libvirt's
     */
    protected EsmException(String message, Throwable cause) {
        super(message, cause);
    }
}
