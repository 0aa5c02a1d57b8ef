package dev.esm.libvirt.internal.local;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.errors.StorageException;
import dev.esm.core.port.Storage.BackingReference;
import dev.esm.libvirt.internal.image.Qcow2;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads the headers of image files on this machine for {@link LocalStorage}, in-process over {@link Qcow2} (no
 * {@code qemu-img}): backing file and reference, encryption, subclusters. A file that cannot be read is a
 * {@link StorageException}.
 *
 * <p>Thread-safety: thread-safe (no state).
 */
final class LocalHeaders {
    private LocalHeaders() {
    }

    /** @return the image's backing file, from its qcow2 header (a relative name resolved beside the image) */
    static Optional<DiskImage> backing(String path, ImageFormat format) {
        if (format != ImageFormat.QCOW2) {
            return Optional.empty(); // a raw image has no backing file
        }
        String[] b = backingNameAndFormat(path);
        if (b == null) {
            return Optional.empty();
        }
        String backingPath = b[0].startsWith("/") ? b[0] : Path.of(path).resolveSibling(b[0]).toString();
        return Optional.of(new DiskImage("?", backingPath,
                b[1] == null ? ImageFormat.QCOW2 : ImageFormat.fromId(b[1]).orElse(ImageFormat.QCOW2)));
    }

    /** @return the backing reference as recorded in the qcow2 header */
    static Optional<BackingReference> backingReference(String path, ImageFormat format) {
        if (format != ImageFormat.QCOW2) {
            return Optional.empty();
        }
        String[] b = backingNameAndFormat(path);
        return b == null ? Optional.empty() : Optional.of(new BackingReference(b[0], Optional.ofNullable(b[1])));
    }

    /** @return the header's backing name and format (null: none), or null without a backing file */
    private static String[] backingNameAndFormat(String path) {
        try {
            return Qcow2.backing(Path.of(path));
        } catch (NoSuchFileException e) {
            throw new StorageException("'" + path + "' does not exist", e);
        } catch (IOException e) {
            throw cannotRead(path, e);
        }
    }

    /** @return whether the image is encrypted (a qcow2 crypt method, or a LUKS header) */
    static boolean encrypted(String path, ImageFormat format) {
        try {
            return Qcow2.encrypted(Path.of(path), format);
        } catch (IOException e) {
            throw cannotRead(path, e);
        }
    }

    /** @return whether the image's qcow2 header says it has subclusters (extended L2 entries) */
    static boolean subclusters(String path) {
        try (FileChannel ch = FileChannel.open(Path.of(path))) {
            ByteBuffer b = ByteBuffer.allocate(80);
            while (b.hasRemaining() && ch.read(b) > 0) {
                // the first bytes
            }
            b.flip();
            return Qcow2.subclusters(b);
        } catch (IOException e) {
            throw cannotRead(path, e);
        }
    }

    private static StorageException cannotRead(String path, IOException e) {
        return new StorageException("cannot read the header of " + path + ": " + e.getMessage(), e);
    }
}
