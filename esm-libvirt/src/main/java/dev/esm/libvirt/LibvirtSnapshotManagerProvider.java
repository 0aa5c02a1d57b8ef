package dev.esm.libvirt;

import dev.esm.api.SnapshotManager;
import dev.esm.api.spi.SnapshotManagerProvider;
import dev.esm.core.engine.CoreSnapshotManager;

/**
 * Registers ESM's libvirt implementation with {@link SnapshotManager#connect(String)}. Image files are handled
 * on the local host, so the URI must name a daemon on this machine (e.g. {@code qemu:///system}); a storage
 * port over libvirt's storage-pool API for remote hosts is planned.
 */
public final class LibvirtSnapshotManagerProvider implements SnapshotManagerProvider {

    @Override
    public boolean supports(String uri) {
        return uri != null && !uri.isBlank();
    }

    @Override
    public SnapshotManager open(String uri) {
        return new CoreSnapshotManager(new LibvirtHost(uri, new LocalStorage()));
    }
}
