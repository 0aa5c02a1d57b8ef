package dev.esm.core.plan;

import dev.esm.api.DiskImage;
import java.util.Objects;
import java.util.Optional;

/**
 * One file of a domain that a move or replication sends to another host.
 *
 * @param path where it is on this host
 * @param size its length in bytes
 * @param frozen what it belongs to when it never changes (a snapshot's image, memory file or firmware copy, named by
 *               the snapshot and its creation time; the base, by ESM's setup time); empty for a file that changes
 *               (an active layer, the domain's firmware variables)
 * @param backing for an image: the backing file its header names, as an absolute path, and whether the header names
 *                it relative to the image's folder
 * @param activeLayer whether it is a disk's active layer (a replication makes an empty overlay in its place)
 */
public record TransferFile(String path, long size, Optional<String> frozen, Optional<Backing> backing,
                           boolean activeLayer) {
    public TransferFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(frozen, "frozen");
        Objects.requireNonNull(backing, "backing");
    }

    /**
     * @param image the backing image, its path absolute
     * @param relative whether the header names it relative to the image's own folder
     */
    public record Backing(DiskImage image, boolean relative) {
    }
}
