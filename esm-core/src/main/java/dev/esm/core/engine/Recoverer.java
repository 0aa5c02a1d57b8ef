package dev.esm.core.engine;

import dev.esm.core.plan.Journal;
import dev.esm.core.plan.Step;
import dev.esm.core.port.Storage;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes or undoes an operation a stopped process left, from its journal. Not thread-safe: one recovery at a
 * time, under the domain's lock.
 */
final class Recoverer {
    private static final Logger LOG = LoggerFactory.getLogger(Recoverer.class);

    private final Storage storage;
    private final String domain;
    private final StepRunner steps;
    private final JournalKeeper journal;

    Recoverer(Storage storage, String domain, StepRunner steps, JournalKeeper journal) {
        this.storage = storage;
        this.domain = domain;
        this.steps = steps;
        this.journal = journal;
    }

    /**
     * Undone when the steps taken (and the one that may have been under way) only created files; completed
     * otherwise, repeating the step that was under way. A merge that cannot be completed ends in the plan's abort
     * steps (the snapshots being merged are removed, so that none is left with wrong content).
     *
     * @return whether it was completed (true) or undone (false)
     */
    boolean recover(Journal found) {
        journal.resume(found);
        List<Step> all = found.steps();
        int last = lastPossiblyTaken(found);
        if (!completes(found)) {
            LOG.info("{}: undoing an unfinished {} (only files had been created, or chains shortened)", domain,
                    found.operation());
            for (int i = last; i >= 0; i--) {
                Step s = all.get(i);
                if (s instanceof Step.CreateOverlay o) {
                    storage.remove(o.path());
                } else if (s instanceof Step.MoveImage m) {
                    if (storage.exists(m.from())) {
                        storage.remove(m.to());
                    }
                } else if (s instanceof Step.MakeDirectory d && storage.list(d.path()).isEmpty()) {
                    storage.remove(d.path());
                }
            }
            journal.clear();
            return false;
        }
        LOG.info("{}: completing an unfinished {} from step {}", domain, found.operation(), found.next() + 1);
        for (int i = found.next(); i < all.size(); i++) {
            try {
                steps.apply(all.get(i), true);
            } catch (RuntimeException e) {
                if (all.get(i) instanceof Step.Merge || all.subList(0, i).stream().anyMatch(s -> s instanceof Step.Merge)) {
                    LOG.warn("{}: a merge cannot be completed ({}); removing the snapshots being merged", domain,
                            e.toString());
                    for (Step s : found.onAbort()) {
                        steps.apply(s, true);
                    }
                    journal.clear();
                    return true;
                }
                throw e;
            }
            journal.done(i);
        }
        journal.clear();
        return true;
    }

    /** @return the index of the last step that may have been taken when {@code found} was written */
    private static int lastPossiblyTaken(Journal found) {
        List<Step> all = found.steps();
        int last = Math.min(found.next(), all.size() - 1);
        while (JournalPoints.inOverlayRun(all, last)) {
            last++; // the rest of a run of overlays recorded at its end may be done as well (JournalPoints#recordedLater)
        }
        return last;
    }

    /**
     * What a recovery of {@code found} does, decided from the journal alone (so a client that lost its lease knows what
     * the new owner's recovery does with the journal it wrote last).
     *
     * @return true when a recovery completes the operation, false when it undoes it (only files had been created)
     */
    static boolean completes(Journal found) {
        return !found.steps().subList(0, lastPossiblyTaken(found) + 1).stream().allMatch(Recoverer::createsFilesOnly);
    }

    /** A step that only created files, or changed none in what it shows (a pull): undoing it is removing them. */
    private static boolean createsFilesOnly(Step s) {
        return s instanceof Step.CreateOverlay || s instanceof Step.MoveImage || s instanceof Step.MakeDirectory
                || s instanceof Step.Pull;
    }
}
