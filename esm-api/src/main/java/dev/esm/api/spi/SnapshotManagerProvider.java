package dev.esm.api.spi;

import dev.esm.api.SnapshotManager;

/**
 * Opens {@link SnapshotManager}s. Implementations are found with {@link java.util.ServiceLoader}; the one with
 * the highest {@link #priority()} that {@link #supports(String) supports} the URI wins.
 */
public interface SnapshotManagerProvider {
    /**
     * @param uri a libvirt connection URI
     * @return whether this provider can open it
     */
    boolean supports(String uri);

    /** @return a larger number wins when several providers support a URI */
    default int priority() {
        return 0;
    }

    /**
     * Opens a connection.
     *
     * @param uri the libvirt connection URI, never null
     * @return an open manager, which the caller closes
     */
    SnapshotManager open(String uri);

    /**
     * Opens a connection, reaching images as asked. The default supports {@link dev.esm.api.ImageAccess#AUTO}
     * only.
     *
     * @param uri the libvirt connection URI, never null
     * @param access how images are reached
     * @return an open manager, which the caller closes
     */
    default SnapshotManager open(String uri, dev.esm.api.ImageAccess access) {
        if (access != dev.esm.api.ImageAccess.AUTO) {
            throw new UnsupportedOperationException(getClass().getName() + " does not support " + access);
        }
        return open(uri);
    }

    /**
     * Opens a connection with the given settings. The default supports the settings' image access only (through
     * {@link #open(String, dev.esm.api.ImageAccess)}) and ignores the rest; esm-libvirt honours every setting.
     *
     * @param uri the libvirt connection URI, never null
     * @param settings the manager's settings, never null
     * @return an open manager, which the caller closes
     */
    default SnapshotManager open(String uri, dev.esm.api.Settings settings) {
        return open(uri, settings.imageAccess());
    }
}
