package dev.esm.api;

import java.util.Optional;

/**
 * What an image file is and what it takes on disk.
 *
 * @param path the image's path on the domain's host
 * @param format its format
 * @param virtualSize the size the guest sees, in bytes
 * @param actualSize the bytes it takes on the host's storage
 * @param backing the path of its backing image, if any
 * @param backingFormat the backing image's format as recorded in the header, if any
 */
public record ImageInfo(String path, ImageFormat format, long virtualSize, long actualSize, Optional<String> backing,
                        Optional<ImageFormat> backingFormat) {
}
