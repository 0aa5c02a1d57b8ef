package dev.esm.api.errors;

/**
 * The operation does not apply to the domain as it is, e.g. {@code setup} once snapshots exist, or {@code revert base} before anything froze the base images. Nothing was changed.
 */
public class InvalidOperationException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    public InvalidOperationException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying error, e.g. libvirt's
     */
    public InvalidOperationException(String message, Throwable cause) {
        super(message, cause);
    }
}
