package dev.esm.core.engine;

import dev.esm.core.plan.Journal;
import dev.esm.core.plan.OperationPlan;
import java.time.Instant;
import java.util.Map;

/**
 * The journal of the operation being run or recovered, and where it is kept: every change is written through its
 * {@link JournalSink} at once. Not thread-safe on its own; the executor's merge threads update it only
 * from the thread that runs the plan.
 */
final class JournalKeeper {
    private final JournalSink sink;
    private Journal journal;
    /** The index of the step the executor runs now, or -1 (recovery: each step is recorded before the next runs). */
    private int running = -1;

    JournalKeeper(JournalSink sink) {
        this.sink = sink;
    }

    /** Starts the journal of a plan about to run, and writes it. */
    void start(OperationPlan plan, Instant now) {
        Journal first = Journal.of(plan, now);
        sink.write(first);
        journal = first;
    }

    /** Takes over a journal found on the host (recovery); nothing is written. */
    void resume(Journal found) {
        journal = found;
        running = -1;
    }

    /**
     * Tells which step runs now (nothing is written): steps before it that went unrecorded
     * ({@link JournalPoints#recordedLater}) are recorded as done by the next write of what it saves.
     */
    void running(int index) {
        running = index;
    }

    /** Records step {@code index} as done (dropping what it saved), and writes the journal. */
    void done(int index) {
        Journal next = journal.done(index);
        sink.write(next);
        journal = next; // kept only once written: a write refused (a lost lease) leaves the last one written
    }

    /**
     * Records snapshot metadata the running step is about to remove, with every step before it done, and writes the
     * journal.
     */
    void saving(Map<String, String> xmls) {
        Journal next = (running > journal.next() ? journal.done(running - 1) : journal).saving(xmls);
        sink.write(next);
        journal = next;
    }

    /** @return what the running step saved before, when it runs again (recovery) */
    Map<String, String> saved() {
        return journal.saved();
    }

    /** @return the journal as written last: every step before {@code next()} done, with what the running step saved */
    Journal current() {
        return journal;
    }

    /** Removes the journal: the operation finished or was undone. */
    void clear() {
        sink.clear();
    }
}
