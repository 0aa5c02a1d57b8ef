package dev.esm.core.engine;

import dev.esm.core.plan.Journal;

/** Where the journal is kept. */
public interface JournalSink {
    /** Writes the journal durably. */
    void write(Journal journal);

    /** Removes the journal: the operation has finished or was undone. */
    void clear();

    /** A sink that keeps nothing. */
    JournalSink NONE = new JournalSink() {
        @Override
        public void write(Journal journal) {
        }

        @Override
        public void clear() {
        }
    };
}
