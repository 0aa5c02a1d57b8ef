package dev.esm.core.engine;

import dev.esm.core.model.Names;
import dev.esm.core.plan.Journal;
import dev.esm.core.plan.JournalXml;
import dev.esm.core.port.Storage;
import java.util.Optional;

/**
 * Where a domain's journal is kept: {@code <key>.journal} in the storage's state folder (this machine's, or the
 * host's state pool), written atomically. Thread-safe as far as the storage is; written only under the domain's
 * lock.
 */
final class JournalStore implements Executor.JournalSink {
    private final Storage storage;
    private final String path;

    /** @param key the domain's key (its UUID) */
    JournalStore(Storage storage, String key) {
        this.storage = storage;
        this.path = Names.join(storage.stateDirectory(), key + ".journal");
    }

    /** @return the journal a stopped process left, if any */
    Optional<Journal> read() {
        return storage.read(path).map(JournalXml::read);
    }

    /** @return whether a journal is there (without parsing it) */
    boolean present() {
        return storage.read(path).isPresent();
    }

    @Override
    public void write(Journal journal) {
        storage.writeAtomically(path, JournalXml.write(journal));
    }

    @Override
    public void clear() {
        storage.remove(path);
    }
}
