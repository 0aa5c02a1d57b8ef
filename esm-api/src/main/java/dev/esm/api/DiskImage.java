package dev.esm.api;

import java.util.Objects;

/**
 * One image of one disk: for a snapshot, the frozen image that holds the disk's content at the snapshot
 * (read through its backing chain).
 *
 * @param target the disk's target device in the domain, e.g. {@code vda}
 * @param path the image's path on the domain's host
 * @param format the image's format
 */
public record DiskImage(String target, String path, ImageFormat format) {
    /**
     * Checks the components and keeps immutable copies of the collections.
     *
     * @param target the disk's target device in the domain, e.g. {@code vda}
     * @param path the image's path on the domain's host
     * @param format the image's format
     */
    public DiskImage {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(format, "format");
        if (target.isBlank() || path.isBlank()) {
            throw new IllegalArgumentException("target and path must not be blank");
        }
    }
}
