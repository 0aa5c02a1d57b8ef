package dev.esm.libvirt.internal.local;

import dev.esm.api.errors.StorageException;
import dev.esm.core.port.StateStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Journals and locks in a state folder of this machine: {@code <key>.journal}, written atomically (a temporary file,
 * fsynced, renamed, the folder fsynced), and {@code <key>.lock}, a POSIX lock on a lock file (kept by the kernel: it
 * dies with its process, and a paused process keeps it, so it cannot be lost).
 *
 * <p>Thread-safety: thread-safe; its only state is the table of lock files this JVM holds ({@link #lock}).
 */
public final class LocalState implements StateStore {
    private static final Logger LOG = LoggerFactory.getLogger(LocalState.class);
    /** Which lock files a thread of this JVM holds or is taking (see {@link #lock}). */
    private static final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.Semaphore> IN_PROCESS =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final Optional<Path> stateDir;

    /** @param stateDir the folder for journals and lock files; empty for the default (see {@link #stateDirectory()}) */
    public LocalState(Optional<Path> stateDir) {
        this.stateDir = stateDir;
    }

    private String journal(String key) {
        return stateDirectory() + "/" + key + ".journal";
    }

    private String lockFile(String key) {
        return stateDirectory() + "/" + key + ".lock";
    }

    @Override
    public Optional<String> readJournal(String key) {
        return read(journal(key));
    }

    @Override
    public void writeJournal(String key, String content) {
        writeAtomically(journal(key), content);
    }

    @Override
    public void removeJournal(String key) {
        String path = journal(key);
        try {
            Files.deleteIfExists(Path.of(path));
        } catch (IOException e) {
            throw new StorageException("cannot remove '" + path + "': " + e.getMessage(), e);
        }
    }

    private String treeIndex(String key) {
        return stateDirectory() + "/" + key + ".tree";
    }

    /** The file {@code <key>.tree} of the state folder. */
    @Override
    public Optional<String> readTreeIndex(String key) {
        return read(treeIndex(key));
    }

    /**
     * Written to a file of its own and renamed over the old one (a reader sees either whole); not fsynced: a lost
     * index is only read again in full.
     */
    @Override
    public void writeTreeIndex(String key, String content) {
        Path p = Path.of(treeIndex(key));
        Path tmp = p.resolveSibling(p.getFileName() + "." + ProcessHandle.current().pid() + "-"
                + Thread.currentThread().getId() + ".tmp");
        try {
            Files.writeString(tmp, content);
            Files.move(tmp, p, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the write's failure is the one to report
            }
            throw new StorageException("cannot write " + p + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void removeTreeIndex(String key) {
        String path = treeIndex(key);
        try {
            Files.deleteIfExists(Path.of(path));
        } catch (IOException e) {
            throw new StorageException("cannot remove '" + path + "': " + e.getMessage(), e);
        }
    }

    @Override
    public Lease lock(String key, java.time.Duration wait) {
        return lockFile(lockFile(key), wait);
    }

    @Override
    public Optional<LockHolder> lockHolder(String key) {
        return holderOf(lockFile(key));
    }

    /** @return the state folder (made if missing): the one given, else {@code /var/lib/esm} for root, else
     *         {@code $XDG_STATE_HOME/esm} or {@code ~/.local/state/esm} */
    public String stateDirectory() {
        Path dir;
        if (stateDir.isPresent()) {
            dir = stateDir.get();
        } else if ("root".equals(System.getProperty("user.name"))) {
            dir = Path.of("/var/lib/esm");
        } else {
            String xdg = System.getenv("XDG_STATE_HOME");
            dir = (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state"))
                    .resolve("esm");
        }
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
        } catch (IOException e) {
            throw new StorageException("cannot create ESM's state folder " + dir + ": " + e.getMessage()
                    + "; choose a writable one with SnapshotManager.builder(uri).stateDirectory(..) (-Desm.stateDir)", e);
        }
        return dir.toString();
    }

    /** Writes a small file so that after a crash it holds the old or the new content (fsynced). */
    public static void writeAtomically(String path, String content) {
        Path p = Path.of(path);
        Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            Files.move(tmp, p, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            FileCopies.fsyncDirectory(p.getParent());
        } catch (IOException e) {
            throw new StorageException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    /** @return a small file's content, if there is one */
    public static Optional<String> read(String path) {
        try {
            return Optional.of(Files.readString(Path.of(path))); // one call: no window between exists and read
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StorageException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A POSIX record lock (what {@link FileChannel#tryLock} takes) on a file that exists only while it is held: the
     * holder removes the file before it lets go, so lock files do not pile up. That needs care, because a waiter may
     * have opened the file just before it was removed and then locks a file no longer in the folder while a third
     * process makes a new one. So a lock counts only when the path still names the very file locked: the file's
     * identity (device and inode, read with stat, which opens nothing: closing any other descriptor of the file would
     * drop a POSIX lock) is read before and after opening it (the same both times, so the opened file is that one; a
     * held file's inode number cannot be reused) and again once it is locked; else it starts over. Only a holder
     * removes the file, and only while it holds it.
     */
    private static Optional<LockHolder> holderOf(String path) {
        Path p = Path.of(path);
        if (!Files.exists(p)) {
            return Optional.empty();
        }
        java.util.concurrent.Semaphore here = IN_PROCESS.computeIfAbsent(p.toAbsolutePath().normalize().toString(),
                k -> new java.util.concurrent.Semaphore(1));
        if (!here.tryAcquire()) {
            return Optional.of(new LockHolder("another operation in this process", Optional.empty()));
        }
        try {
            // A probe: taken and dropped at once when free (a waiter's next try takes it).
            Lease held = tryLockOnce(p);
            if (held == null) {
                return Optional.of(new LockHolder("another process on this machine", Optional.empty()));
            }
            held.close();
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // unreadable: nobody can be said to hold it
        } finally {
            here.release();
        }
    }

    private static Lease lockFile(String path, java.time.Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        Path p = Path.of(path);
        // One holder per file in this JVM first: closing any channel of a file drops every POSIX lock this process
        // holds on it, so no other thread here may open and close it while the lock is held.
        java.util.concurrent.Semaphore here = IN_PROCESS.computeIfAbsent(p.toAbsolutePath().normalize().toString(),
                k -> new java.util.concurrent.Semaphore(1));
        try {
            if (!here.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new dev.esm.api.errors.DomainBusyException("another operation in this process holds the lock "
                        + path + "; retry when it has finished");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new dev.esm.api.errors.DomainBusyException("interrupted while waiting for " + path);
        }
        boolean acquired = false;
        try {
            while (true) {
                Lease held = tryLockOnce(p);
                if (held != null) {
                    acquired = true;
                    return () -> {
                        try {
                            held.close();
                        } finally {
                            here.release();
                        }
                    };
                }
                if (System.nanoTime() > deadline) {
                    throw new dev.esm.api.errors.DomainBusyException("another process holds the lock " + path
                            + " (an operation on the same domain is running); retry when it has finished");
                }
                Thread.sleep(50);
            }
        } catch (IOException e) {
            throw new StorageException("cannot lock " + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new dev.esm.api.errors.DomainBusyException("interrupted while waiting for " + path);
        } finally {
            if (!acquired) {
                here.release();
            }
        }
    }

    /** @return the lock, or null when someone else holds it (or the file changed under us: try again) */
    private static Lease tryLockOnce(Path p) throws IOException {
        Object before = fileKey(p);
        if (before == null) {
            try {
                Files.createFile(p);
            } catch (FileAlreadyExistsException madeByAnother) {
                // fine: the same file for all
            }
            before = fileKey(p);
            if (before == null) {
                return null;
            }
        }
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        boolean keep = false;
        try {
            Object opened = fileKey(p);
            if (!before.equals(opened)) {
                return null; // replaced while we opened it: we cannot tell which file we have
            }
            java.nio.channels.FileLock l;
            try {
                l = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException inThisProcess) {
                return null;
            }
            if (l == null) {
                return null;
            }
            if (!opened.equals(fileKey(p))) {
                l.release(); // removed by its last holder after we opened it: a stale file
                return null;
            }
            keep = true;
            return () -> {
                try {
                    Files.deleteIfExists(p); // still ours: nobody removes a file they do not hold
                } catch (IOException e) {
                    LOG.debug("removing the lock file {} failed: {}", p, e.toString());
                }
                try {
                    l.release();
                    ch.close();
                } catch (IOException e) {
                    LOG.debug("releasing {} failed: {}", p, e.toString());
                }
            };
        } finally {
            if (!keep) {
                ch.close();
            }
        }
    }

    /** @return the file's identity (device and inode) by stat, opening nothing; null if there is no file */
    private static Object fileKey(Path p) throws IOException {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

}
