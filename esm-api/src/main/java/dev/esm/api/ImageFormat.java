package dev.esm.api;

import java.util.Locale;
import java.util.Optional;

/**
 * The disk image formats ESM works with. Formats are always passed explicitly to libvirt and QEMU: ESM never
 * lets them probe a format (a guest could otherwise plant a header in a raw image).
 */
public enum ImageFormat {
    /** QEMU copy-on-write v2: every overlay ESM creates, and any image. */
    QCOW2,
    /** A plain raw image; only ever at the bottom of a chain (a base). */
    RAW;

    /** @return the name libvirt and qemu-img use, e.g. {@code qcow2} */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param id a format name as libvirt writes it
     * @return the format, or empty for a format ESM does not handle
     */
    public static Optional<ImageFormat> fromId(String id) {
        if (id == null) {
            return Optional.empty();
        }
        for (ImageFormat f : values()) {
            if (f.id().equals(id.toLowerCase(Locale.ROOT))) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
