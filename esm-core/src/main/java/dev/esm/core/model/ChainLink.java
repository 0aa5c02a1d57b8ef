package dev.esm.core.model;

import dev.esm.api.DiskImage;
import java.util.Objects;

/**
 * One image of a disk's chain as planning sees it.
 *
 * @param image the image (its disk target, path and format)
 * @param bytes the bytes it takes on the host; 0 when not read (a chain that needs no pull)
 */
public record ChainLink(DiskImage image, long bytes) {
    public ChainLink {
        Objects.requireNonNull(image, "image");
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must not be negative: " + bytes);
        }
    }
}
