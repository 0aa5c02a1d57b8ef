package dev.esm.core.engine;

import dev.esm.core.plan.Journal;
import dev.esm.core.plan.JournalXml;
import dev.esm.core.port.StateStore;
import java.util.Optional;

/**
 * A domain's journal in the port's {@link StateStore}, as XML. Thread-safe as far as the store is; written only under
 * the domain's lock.
 */
final class JournalStore implements JournalSink {
    private final StateStore state;
    private final String key;

    /** @param key the domain's key (its UUID) */
    JournalStore(StateStore state, String key) {
        this.state = state;
        this.key = key;
    }

    /** @return the journal a stopped process left, if any */
    Optional<Journal> read() {
        return state.readJournal(key).map(JournalXml::read);
    }

    /** @return whether a journal is there (without parsing it) */
    boolean present() {
        return state.readJournal(key).isPresent();
    }

    @Override
    public void write(Journal journal) {
        state.writeJournal(key, JournalXml.write(journal));
    }

    @Override
    public void clear() {
        state.removeJournal(key);
    }
}
