package dev.esm.libvirt.internal.local;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.OverlayLayout;
import dev.esm.api.ImageInfo;
import dev.esm.api.ProgressListener;
import dev.esm.core.port.Cancellation;
import dev.esm.api.errors.StorageException;
import dev.esm.core.port.Storage;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.esm.libvirt.internal.image.Qcow2;

/**
 * The file operations on the local host: java.nio for files, {@code qemu-img} where libvirt has no API
 * (overlay creation with an explicit backing format, reading an image header). Formats are always passed
 * explicitly; {@code qemu-img} never probes. New files are created exclusively with mode 0600. Headers are read
 * in-process ({@link LocalHeaders}).
 *
 * <p>Thread-safety: thread-safe; it keeps no state (journals and lock files are {@link LocalState}'s).
 */
public final class LocalStorage implements Storage {
    private static final Logger LOG = LoggerFactory.getLogger(LocalStorage.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    /** Folders must let the hypervisor's user (libvirt-qemu) pass through, without listing them. */
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx--x--x");
    /** The {@code qemu-img} runs. */
    private final QemuImg qemu;
    /** How the overlays this store makes are laid out. */
    private final OverlayLayout layout;
    private final OverlayLayout pullable;

    /** Uses {@code qemu-img} from the PATH, the default state folder and process timeout. */
    public LocalStorage() {
        this("qemu-img");
    }

    /** @param qemuImg the {@code qemu-img} executable to run */
    public LocalStorage(String qemuImg) {
        this(qemuImg, dev.esm.api.Settings.DEFAULT_PROCESS_TIMEOUT);
    }

    /**
     * @param qemuImg the {@code qemu-img} executable to run
     * @param processTimeout the longest a {@code qemu-img} may run before it is killed
     */
    public LocalStorage(String qemuImg, java.time.Duration processTimeout) {
        this(qemuImg, processTimeout, OverlayLayout.SUBCLUSTERS);
    }

    /**
     * @param qemuImg the {@code qemu-img} executable to run
     * @param processTimeout the longest a {@code qemu-img} may run before it is killed
     * @param layout how the overlays this store makes are laid out (the host's QEMU must open it)
     */
    public LocalStorage(String qemuImg, java.time.Duration processTimeout, OverlayLayout layout) {
        this(qemuImg, processTimeout, layout, layout);
    }

    /**
     * @param qemuImg the {@code qemu-img} executable to run
     * @param processTimeout the longest a {@code qemu-img} may run before it is killed
     * @param layout how the overlays this store makes are laid out (the host's QEMU must open it)
     * @param pullable how an overlay a live pull will go into is laid out (the host's QEMU must pull into it)
     */
    public LocalStorage(String qemuImg, java.time.Duration processTimeout, OverlayLayout layout,
                        OverlayLayout pullable) {
        this.qemu = new QemuImg(qemuImg, processTimeout);
        this.layout = java.util.Objects.requireNonNull(layout, "layout");
        this.pullable = java.util.Objects.requireNonNull(pullable, "pullable");
    }

    @Override
    public boolean exists(String path) {
        return Files.exists(Path.of(path), java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public long size(String path) {
        try {
            return Files.size(Path.of(path));
        } catch (java.io.IOException e) {
            throw new StorageException("reading the size of '" + path + "' failed: " + e, e);
        }
    }

    @Override
    public ImageInfo info(String path, ImageFormat format) {
        Optional<ImageInfo> quick = QemuImg.quickInfo(path, format);
        if (quick.isPresent()) {
            return quick.get();
        }
        return qemu.info(path, format);
    }

    @Override
    public Optional<DiskImage> backing(String path, ImageFormat format) {
        return LocalHeaders.backing(path, format);
    }

    @Override
    public Optional<BackingReference> backingReference(String path, ImageFormat format) {
        return LocalHeaders.backingReference(path, format);
    }

    @Override
    public boolean encrypted(String path, ImageFormat format) {
        return LocalHeaders.encrypted(path, format);
    }

    @Override
    public boolean subclusters(String path) {
        return LocalHeaders.subclusters(path);
    }

    @Override
    public Optional<String> symbolicLink(String path) {
        Path p = Path.of(path);
        if (!Files.isSymbolicLink(p)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readSymbolicLink(p).toString());
        } catch (IOException e) {
            throw new StorageException("cannot read the symbolic link " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void createOverlay(String path, DiskImage backing) {
        createOverlay(path, backing, layout);
    }

    /** Creates the overlay as {@link #createOverlay(String, DiskImage)} does, in the layout QEMU pulls into. */
    @Override
    public void createPullableOverlay(String path, DiskImage backing) {
        createOverlay(path, backing, pullable);
    }

    private void createOverlay(String path, DiskImage backing, OverlayLayout layout) {
        Path p = Path.of(path);
        long size;
        try {
            size = Qcow2.virtualSize(Path.of(backing.path()), backing.format());
        } catch (NoSuchFileException e) {
            throw new StorageException("'" + backing.path() + "' does not exist: the disk's image is missing", e);
        } catch (IOException e) {
            throw new StorageException("cannot read the header of " + backing.path() + ": " + e.getMessage(), e);
        }
        try {
            Files.createFile(p, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException e) {
            throw new StorageException("'" + path + "' exists already; ESM never overwrites a file", e);
        } catch (IOException e) {
            throw new StorageException("cannot create '" + path + "': " + e.getMessage(), e);
        }
        try {
            // In-process, as qemu-img create -f qcow2 -F fmt -b backing -u would: flat in chain length, no process.
            Qcow2.writeOverlay(p, backing.path(), backing.format(), size, layout);
            Files.setPosixFilePermissions(p, OWNER_ONLY);
        } catch (IOException | RuntimeException e) {
            removeQuietly(p);
            throw new StorageException("cannot create overlay '" + path + "': " + e.getMessage(), e);
        }
    }

    @Override
    public void makeDirectory(String path) {
        Path p = Path.of(path);
        try {
            List<Path> made = new ArrayList<>();
            for (Path q = p; q != null && !Files.exists(q); q = q.getParent()) {
                made.add(0, q);
            }
            for (Path q : made) {
                Files.createDirectory(q);
                Files.setPosixFilePermissions(q, DIR);
            }
        } catch (IOException e) {
            throw new StorageException("cannot create folder '" + path + "': " + e.getMessage(), e);
        }
    }

    @Override
    public void place(String from, String to) {
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
    @Override
    public void copy(String from, String to) {
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

    private void copyVerified(Path src, Path dst) {
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

    public static void fsyncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("cannot fsync folder {}: {}", dir, e.toString());
        }
    }

    @Override
    public void commit(String top, String base, String disk, ProgressListener listener, Cancellation cancel) {
        qemu.commit(top, base, disk, listener, cancel);
    }

    @Override
    public void pull(String image, DiskImage anchor, String disk, ProgressListener listener, Cancellation cancel) {
        qemu.pull(image, anchor, disk, listener, cancel);
    }

    @Override
    public void rebase(String image, DiskImage newBacking) {
        qemu.rebase(image, newBacking);
    }

    @Override
    public List<String> list(String directory) {
        Path d = Path.of(directory);
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (var s = Files.list(d)) {
            return s.filter(Files::isRegularFile).map(Path::toString).sorted().toList();
        } catch (IOException e) {
            throw new StorageException("cannot list " + directory + ": " + e.getMessage(), e);
        }
    }

    @Override
    public java.util.OptionalLong freeBytes(String directory) {
        for (Path p = Path.of(directory).toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p)) {
                try {
                    return java.util.OptionalLong.of(Files.getFileStore(p).getUsableSpace());
                } catch (java.io.IOException e) {
                    return java.util.OptionalLong.empty();
                }
            }
        }
        return java.util.OptionalLong.empty();
    }

    @Override
    public dev.esm.core.port.ByteSource readBytes(String path) {
        return FileStreams.read(path);
    }

    @Override
    public dev.esm.core.port.ByteSink writeBytes(String path, long length) {
        dev.esm.core.port.Fencing.check();
        return FileStreams.write(path, length);
    }

    @Override
    public dev.esm.core.port.ByteSink overwriteBytes(String path, long length) {
        dev.esm.core.port.Fencing.check();
        return FileStreams.overwrite(path, length);
    }

    @Override
    public void remove(String path) {
        try {
            Files.deleteIfExists(Path.of(path));
        } catch (IOException e) {
            throw new StorageException("cannot remove '" + path + "': " + e.getMessage(), e);
        }
    }

    private static void removeQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", p, e.toString());
        }
    }
}
