package dev.esm.api.errors;

/**
 * A file operation failed (permission, space, a file in the way). The message names the path. What the operation had done before is undone, or named in the message.
 */
public class StorageException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    public StorageException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying error, e.g. libvirt's
     */
    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
