package dev.esm.cli;

import dev.esm.api.ImageAccess;
import dev.esm.api.SnapshotManager;
import picocli.CommandLine.Option;

/** The options {@code esm move} and {@code esm replicate} take for the other host: one definition, mixed in. */
final class TargetArgs {
    @Option(names = "--path", paramLabel = "DIR", description = "put the files in this folder on the target")
    String path;

    @Option(names = "--storage-api", description = "reach the target's files through libvirt's storage API even "
            + "when its URI is local (the default for a remote URI)")
    boolean storageApi;

    /** @return a manager of its own for the other host at {@code uri}, closed by the caller after the command */
    SnapshotManager open(String uri) {
        return SnapshotManager.connect(uri, storageApi ? ImageAccess.LIBVIRT_STORAGE : ImageAccess.AUTO);
    }
}
