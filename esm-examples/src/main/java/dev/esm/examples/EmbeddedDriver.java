package dev.esm.examples;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * Prepares the root folder of libvirt's in-process QEMU driver ({@code qemu:///embed?root=DIR}) so that a domain
 * starts on a machine where no libvirt daemon ever ran.
 *
 * <p>The embedded driver reads its configuration from {@code DIR/etc/qemu.conf}. By default it hands QEMU's output
 * to virtlogd through {@code /run/libvirt/virtlogd-sock}; on a bare machine nothing listens there and every domain
 * start fails with "Failed to connect socket to '/run/libvirt/virtlogd-sock'". {@link #prepare(String)} writes a
 * configuration (only when none exists: a user's own file is never touched) that makes the driver write QEMU's
 * output to files under {@code DIR/log/qemu} itself ({@code stdio_handler = "file"}). Stateless and thread-safe.
 */
public final class EmbeddedDriver {
    /** What {@link #prepare(String)} writes into {@code DIR/etc/qemu.conf}. */
    static final String CONFIG = "# Written by ESM's examples for libvirt's in-process driver (qemu:///embed).\n"
            + "# QEMU's output goes to files under <root>/log/qemu instead of virtlogd, which a machine\n"
            + "# without a libvirt daemon does not run.\n"
            + "stdio_handler = \"file\"\n";

    private EmbeddedDriver() {
    }

    /**
     * @param uri a libvirt URI
     * @return the {@code root} folder when {@code uri} names the in-process QEMU driver, else empty
     */
    public static Optional<Path> root(String uri) {
        if (uri == null || !uri.startsWith("qemu:///embed")) {
            return Optional.empty();
        }
        String query = URI.create(uri).getRawQuery();
        if (query == null) {
            return Optional.empty();
        }
        for (String part : query.split("&")) {
            if (part.startsWith("root=")) {
                return Optional.of(Path.of(java.net.URLDecoder.decode(part.substring(5), StandardCharsets.UTF_8)));
            }
        }
        return Optional.empty();
    }

    /**
     * Makes the embedded driver's root folder usable without daemons; does nothing for any other URI.
     *
     * @param uri a libvirt URI
     * @return true when a configuration was written
     * @throws IOException when the folder or the file cannot be made
     */
    public static boolean prepare(String uri) throws IOException {
        Optional<Path> root = root(uri);
        if (root.isEmpty()) {
            return false;
        }
        Path etc = root.get().resolve("etc");
        Files.createDirectories(etc);
        // QEMU runs as libvirt-qemu and must reach the folders below the root (logs, state, domain folders).
        Files.setPosixFilePermissions(root.get(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path conf = etc.resolve("qemu.conf");
        if (Files.exists(conf)) {
            return false;
        }
        Path tmp = etc.resolve("qemu.conf.tmp");
        Files.writeString(tmp, CONFIG, StandardCharsets.UTF_8);
        Files.move(tmp, conf, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return true;
    }
}
