package dev.esm.libvirt.internal.local;

import dev.esm.api.errors.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link LocalStorage}'s copies of files on this machine ({@link dev.esm.core.port.Storage#place},
 * {@link dev.esm.core.port.Storage#copy}): a file placed at a new name (a hard link, else a copy), or copied over
 * another (into a temporary file beside it, renamed over it once whole). Every copy is made owner-only, checked by
 * CRC32C against what was written and fsynced, its folder too; a copy that fails is removed and leaves the original
 * untouched. Also the folder fsync {@link LocalState}'s writes use.
 *
 * <p>Thread-safety: thread-safe (no state).
 */
final class FileCopies {
    private static final Logger LOG = LoggerFactory.getLogger(FileCopies.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private FileCopies() {
    }

    /** Gives {@code from} the new name {@code to} (a hard link, else a verified copy); never overwrites a file. */
    static void place(String from, String to) {
        Path src = Path.of(from);
        Path dst = Path.of(to);
        if (Files.exists(dst)) {
            throw new StorageException("'" + to + "' exists already; ESM never overwrites a file");
        }
        try {
            Files.createLink(dst, src);
            fsyncDirectory(dst.getParent());
            LOG.debug("linked {} to {}", from, to);
            return;
        } catch (FileAlreadyExistsException e) {
            throw new StorageException("'" + to + "' exists already; ESM never overwrites a file", e);
        } catch (NoSuchFileException e) {
            throw new StorageException("'" + from + "' does not exist", e);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot link {} to {} ({}); copying", from, to, e.toString());
        }
        copyVerified(src, dst);
    }

    /**
     * Copies into a temporary file beside {@code to}, verified and flushed, then renames it over {@code to}: the
     * old {@code to} stays whole until the new one is complete (a firmware variables file or a TPM's state is never
     * half-written). A replaced {@code to}'s owner, group and permissions go to the new one before the rename (changing
     * the owner needs root, as ESM has on a host where libvirt runs swtpm as its own user).
     */
    static void copy(String from, String to) {
        Path src = Path.of(from);
        Path dst = Path.of(to);
        Path tmp = dst.resolveSibling("." + dst.getFileName() + ".esm-copy");
        removeQuietly(tmp);
        if (!Files.exists(src)) {
            throw new StorageException("'" + from + "' does not exist");
        }
        copyVerified(src, tmp);
        try {
            keepOwnerAndMode(dst, tmp);
        } catch (IOException | UnsupportedOperationException e) {
            removeQuietly(tmp);
            throw new StorageException("cannot give the copy of '" + from + "' the owner, group and mode of '" + to
                    + "' (" + e + "); '" + to + "' is untouched", e);
        }
        try {
            Files.move(tmp, dst, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(dst.getParent());
            LOG.debug("copied {} over {}", from, to);
        } catch (IOException e) {
            removeQuietly(tmp);
            throw new StorageException("cannot put the copy of '" + from + "' at '" + to + "': " + e.getMessage(), e);
        }
    }

    /** Gives {@code copy} the owner, group and permissions of {@code original}, if that exists. */
    private static void keepOwnerAndMode(Path original, Path copy) throws IOException {
        java.nio.file.attribute.PosixFileAttributes was;
        try {
            was = Files.readAttributes(original, java.nio.file.attribute.PosixFileAttributes.class);
        } catch (NoSuchFileException e) {
            return; // a new file: owner-only, as made
        }
        var now = Files.readAttributes(copy, java.nio.file.attribute.PosixFileAttributes.class);
        var view = Files.getFileAttributeView(copy, java.nio.file.attribute.PosixFileAttributeView.class);
        if (!now.group().equals(was.group())) {
            view.setGroup(was.group());
        }
        if (!now.owner().equals(was.owner())) {
            view.setOwner(was.owner());
        }
        Files.setPosixFilePermissions(copy, was.permissions());
    }

    private static void copyVerified(Path src, Path dst) {
        try {
            Files.createFile(dst, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (IOException e) {
            throw new StorageException("cannot create '" + dst + "': " + e.getMessage(), e);
        }
        try {
            CRC32C written = new CRC32C();
            try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
                 FileChannel out = FileChannel.open(dst, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
                while (in.read(buf) >= 0) {
                    buf.flip();
                    written.update(buf.duplicate());
                    while (buf.hasRemaining()) {
                        out.write(buf);
                    }
                    buf.clear();
                }
                out.force(true);
            }
            fsyncDirectory(dst.getParent());
            CRC32C read = new CRC32C();
            try (InputStream in = Files.newInputStream(dst)) {
                byte[] b = new byte[1 << 20];
                for (int n; (n = in.read(b)) > 0; ) {
                    read.update(b, 0, n);
                }
            }
            if (read.getValue() != written.getValue() || Files.size(src) != Files.size(dst)) {
                throw new StorageException("the copy of '" + src + "' at '" + dst + "' does not match the original;"
                        + " the original is untouched");
            }
            LOG.debug("copied {} to {} ({} bytes, verified)", src, dst, Files.size(dst));
        } catch (IOException | RuntimeException e) {
            removeQuietly(dst);
            throw e instanceof StorageException se ? se : new StorageException("copying '" + src + "' to '" + dst
                    + "' failed: " + e.getMessage() + "; the original is untouched", e);
        }
    }

    /** Flushes a folder's entries (a name made, renamed or removed in it) to the disk; a failure is only logged. */
    static void fsyncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("cannot fsync folder {}: {}", dir, e.toString());
        }
    }

    /** Removes a file if it is there; a failure is only logged. */
    static void removeQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", p, e.toString());
        }
    }
}
