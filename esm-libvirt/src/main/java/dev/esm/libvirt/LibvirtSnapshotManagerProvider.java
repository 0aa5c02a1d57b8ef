package dev.esm.libvirt;

import dev.esm.api.ImageAccess;
import dev.esm.api.SnapshotManager;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.spi.SnapshotManagerProvider;
import dev.esm.core.engine.CoreSnapshotManager;

/**
 * Registers ESM's libvirt implementation with {@link SnapshotManager#connect(String)}. It serves QEMU driver URIs
 * (local, embedded or remote); images are reached as {@link ImageAccess} says: files of this machine, or libvirt's
 * storage API (the default for remote URIs). Other drivers are refused up front.
 */
public final class LibvirtSnapshotManagerProvider implements SnapshotManagerProvider {

    @Override
    public boolean supports(String uri) {
        return uri != null && !uri.isBlank();
    }

    @Override
    public SnapshotManager open(String uri) {
        return open(uri, ImageAccess.AUTO);
    }

    @Override
    public SnapshotManager open(String uri, ImageAccess access) {
        check(uri, access);
        return new CoreSnapshotManager(new LibvirtHost(uri, access));
    }

    /** Honours every setting: the host's (image access, folders, times, connections) and the manager's. */
    @Override
    public SnapshotManager open(String uri, dev.esm.api.Settings settings) {
        check(uri, settings.imageAccess());
        return new CoreSnapshotManager(new LibvirtHost(uri, settings), settings);
    }

    /** Refuses, before connecting, what ESM cannot serve. */
    static void check(String uri, ImageAccess access) {
        String scheme = uri.contains(":") ? uri.substring(0, uri.indexOf(':')) : uri;
        String driver = scheme.contains("+") ? scheme.substring(0, scheme.indexOf('+')) : scheme;
        if (!driver.equals("qemu")) {
            throw new InvalidOperationException("'" + uri + "' names libvirt's '" + driver + "' driver; ESM manages"
                    + " external snapshots of QEMU domains only: use a qemu:// URI (qemu:///system, qemu+ssh://...)");
        }
        if (access == ImageAccess.LOCAL_FILES && ImageAccess.isRemote(uri)) {
            throw new InvalidOperationException("'" + uri + "' is remote: its images are not files of this machine;"
                    + " use ImageAccess.LIBVIRT_STORAGE (or AUTO)");
        }
        if (access == ImageAccess.LIBVIRT_STORAGE && uri.startsWith("qemu:///embed")) {
            throw new InvalidOperationException("libvirt's in-process driver (qemu:///embed) has no storage pools;"
                    + " use ImageAccess.LOCAL_FILES (or AUTO)");
        }
    }
}
