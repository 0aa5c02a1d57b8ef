package dev.esm.cli;

import dev.esm.api.ImageAccess;
import dev.esm.api.SnapshotManager;

/** The other host of {@code esm move} and {@code esm replicate}: a manager of its own, closed after the command. */
final class Targets {
    private Targets() {
    }

    static SnapshotManager open(String uri, boolean storageApi) {
        return SnapshotManager.connect(uri, storageApi ? ImageAccess.LIBVIRT_STORAGE : ImageAccess.AUTO);
    }
}
