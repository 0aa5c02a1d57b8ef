package dev.esm.api.spi;

import dev.esm.api.SnapshotManager;

/**
 * Opens {@link SnapshotManager}s. Implementations are found with {@link java.util.ServiceLoader}; the one with
 * the highest {@link #priority()} that {@link #supports(String) supports} the URI wins.
 */
public interface SnapshotManagerProvider {
    /** @return whether this provider can open the given libvirt connection URI */
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
}
