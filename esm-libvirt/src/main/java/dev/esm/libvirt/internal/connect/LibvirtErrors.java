package dev.esm.libvirt.internal.connect;

import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.api.errors.EsmException;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.errors.SnapshotNotFoundException;
import org.libvirt.Error;
import org.libvirt.LibvirtException;

/** Wraps libvirt's checked exceptions into ESM's unchecked ones, keeping libvirt's code and message. */
public final class LibvirtErrors {
    private LibvirtErrors() {
    }

    public static EsmException wrap(String doing, LibvirtException e) {
        Error err = e.getError();
        String codeName = err == null || err.getCode() == null ? "UNKNOWN" : err.getCode().name();
        int code = err == null || err.getCode() == null ? -1 : err.getCode().ordinal();
        String message = err == null ? e.getMessage() : err.getMessage();
        return switch (codeName) {
            case "VIR_ERR_NO_DOMAIN" -> new DomainNotFoundException(doing + ": no such domain (libvirt: " + message
                    + "); check the name with 'virsh list --all'", e);
            case "VIR_ERR_NO_DOMAIN_SNAPSHOT" -> new SnapshotNotFoundException(doing + ": no such snapshot (libvirt: "
                    + message + ")", e);
            default -> new HypervisorException(doing + " failed", code, codeName, message, e);
        };
    }

    /**
     * @return the failure to open a connection to {@code uri}, on one line: libvirt's message with the output of the
     *         ssh it ran brought down to what it means and what to do ({@link SshErrors}); libvirt's code and its
     *         message, verbatim, kept on the exception
     */
    public static HypervisorException connecting(String uri, LibvirtException e) {
        Error err = e.getError();
        String codeName = err == null || err.getCode() == null ? "UNKNOWN" : err.getCode().name();
        int code = err == null || err.getCode() == null ? -1 : err.getCode().ordinal();
        String message = err == null ? e.getMessage() : err.getMessage();
        return connecting(uri, code, codeName, message, e);
    }

    /** {@link #connecting(String, LibvirtException)} from libvirt's error's parts. */
    public static HypervisorException connecting(String uri, int code, String codeName, String message, Throwable cause) {
        return new HypervisorException(code, codeName, message, "connecting to "
                + dev.esm.api.SnapshotName.printable(uri) + " failed: " + SshErrors.oneLine(message) + " (libvirt "
                + codeName + ")", cause);
    }

    /** @return whether libvirt's error code of {@code e} is {@code code} (e.g. {@code VIR_ERR_NO_STORAGE_VOL}) */
    public static boolean isCode(LibvirtException e, String code) {
        return e.getError() != null && e.getError().getCode() != null && e.getError().getCode().name().equals(code);
    }
}
