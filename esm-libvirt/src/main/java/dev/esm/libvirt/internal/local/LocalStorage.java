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
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import dev.esm.libvirt.internal.image.Qcow2;

/**
 * The file operations on the local host: java.nio for files, {@code qemu-img} where libvirt has no API
 * (overlay creation with an explicit backing format, reading an image header). Formats are always passed
 * explicitly; {@code qemu-img} never probes. New files are created exclusively with mode 0600. Headers are read
 * in-process ({@link LocalHeaders}); copies are {@link FileCopies}', a file's bytes to and from another host
 * {@link FileStreams}'.
 *
 * <p>Thread-safety: thread-safe; it keeps no state (journals and lock files are {@link LocalState}'s).
 */
public final class LocalStorage implements Storage {
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
            FileCopies.removeQuietly(p);
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
        FileCopies.place(from, to);
    }

    /** See {@link FileCopies#copy}: a temporary copy, verified, renamed over {@code to} with its owner and mode. */
    @Override
    public void copy(String from, String to) {
        FileCopies.copy(from, to);
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
}
