package dev.esm.api.errors;

/**
 * A disk of the domain cannot take part in external snapshots as configured (e.g. a block or network disk with no folder for overlays, two disks on one file, a missing source). Nothing was changed.
 */
public class UnsupportedDiskException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    public UnsupportedDiskException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and what to do about it
     * @param cause the underlying error, e.g. libvirt's
     */
    public UnsupportedDiskException(String message, Throwable cause) {
        super(message, cause);
    }
}
