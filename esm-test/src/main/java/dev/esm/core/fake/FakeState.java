package dev.esm.core.fake;

import dev.esm.api.errors.DomainBusyException;
import dev.esm.core.port.StateStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Journals and locks of the fake host: a journal is the text file {@code /fake-state/<key>.journal} of its
 * {@link FakeStorage} (so it shows among the host's files, as a real one does), a lock an in-memory lock per key that
 * cannot be lost. Thread-safe.
 */
public final class FakeState implements StateStore {
    private final FakeStorage storage;
    private final Map<String, ReentrantLock> locks = new HashMap<>();
    /** The tree indexes, by key (in memory: they are no file a test of the host's files should see). */
    private final Map<String, String> treeIndexes = new java.util.concurrent.ConcurrentHashMap<>();

    FakeState(FakeStorage storage) {
        this.storage = storage;
    }

    /** @return the file that holds the journal of {@code key} */
    public String journalPath(String key) {
        return storage.stateDirectory() + "/" + key + ".journal";
    }

    @Override
    public Optional<String> readJournal(String key) {
        return storage.read(journalPath(key));
    }

    @Override
    public void writeJournal(String key, String content) {
        storage.writeAtomically(journalPath(key), content);
    }

    @Override
    public void removeJournal(String key) {
        storage.remove(journalPath(key));
    }

    @Override
    public Optional<String> readTreeIndex(String key) {
        return Optional.ofNullable(treeIndexes.get(key));
    }

    @Override
    public void writeTreeIndex(String key, String content) {
        treeIndexes.put(key, content);
    }

    @Override
    public void removeTreeIndex(String key) {
        treeIndexes.remove(key);
    }

    /** Replaces the index of {@code key} by hand, as if left behind by someone (for tests). */
    public void putTreeIndex(String key, String content) {
        treeIndexes.put(key, content);
    }

    @Override
    public Lease lock(String key, Duration wait) {
        ReentrantLock l;
        synchronized (this) {
            l = locks.computeIfAbsent(key, k -> new ReentrantLock());
        }
        try {
            if (!l.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new DomainBusyException("lock " + key + " is held");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DomainBusyException("interrupted");
        }
        return l::unlock;
    }
}
