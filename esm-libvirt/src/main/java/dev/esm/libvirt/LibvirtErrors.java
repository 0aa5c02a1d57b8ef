package dev.esm.libvirt;

import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.api.errors.EsmException;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.errors.SnapshotNotFoundException;
import org.libvirt.Error;
import org.libvirt.LibvirtException;

/** Wraps libvirt's checked exceptions into ESM's unchecked ones, keeping libvirt's code and message. */
final class LibvirtErrors {
    private LibvirtErrors() {
    }

    static EsmException wrap(String doing, LibvirtException e) {
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
}
