package dev.esm.api.errors;

import dev.esm.api.SnapshotName;

/**
 * The root of ESM's exceptions. Unchecked: callers catch what they can act on, usually one of the
 * subclasses. The message names what went wrong and what to do about it, on one line: control characters in it (in a
 * name or path the caller gave, or in libvirt's message) are shown escaped, as {@link SnapshotName#printable} shows
 * them, so <code>x&#92;u000ay</code> stands for a name with a line feed in every message.
 */
public abstract class EsmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    protected EsmException(String message) {
        super(oneLine(message));
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying error, e.g. libvirt's
     */
    protected EsmException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    private static String oneLine(String message) {
        return message == null ? null : SnapshotName.printable(message);
    }
}
