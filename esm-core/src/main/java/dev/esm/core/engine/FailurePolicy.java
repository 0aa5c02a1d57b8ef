package dev.esm.core.engine;

import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Step;
import dev.esm.core.port.Storage;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;

/**
 * What a failed step of a plan leads to, the executor's three failure policies (and none on a lost lease):
 *
 * <ul>
 *   <li>A step that fails before any merge started: the steps taken are undone in reverse (overlays and copies
 *       removed, the previous definition restored), then the failure is rethrown. Steps that cannot be undone
 *       come last in every plan (removals, start).</li>
 *   <li>A step that fails after one that cannot be undone: the operation is completed instead (every step is
 *       safe to repeat), then the failure is rethrown; if that fails too, the journal stays for a later recovery.</li>
 *   <li>A failure or cancellation once a merge started: the plan's abort steps run (the snapshots being removed
 *       are removed, so that none is left with wrong content), then the failure is rethrown.</li>
 * </ul>
 *
 * <p>The caller rethrows; this class only makes the domain consistent (or leaves the journal). Not thread-safe: on
 * the thread that runs the plan, after every task it submitted ended.
 */
final class FailurePolicy {
    private final Storage storage;
    private final String domain;
    private final StepRunner steps;
    private final JournalKeeper journal;
    /** The executor's logger: the tool shows its warnings with --verbose only (see EsmCli). */
    private final Logger log;

    FailurePolicy(Storage storage, String domain, StepRunner steps, JournalKeeper journal, Logger log) {
        this.storage = storage;
        this.domain = domain;
        this.steps = steps;
        this.journal = journal;
        this.log = log;
    }

    /** Applies the failure policy of the class comment to a failure of step {@code i}. */
    void failed(OperationPlan plan, int i, Deque<Runnable> undo, boolean committed, boolean merging,
                RuntimeException e) {
        if (e instanceof dev.esm.api.errors.LeaseLostException) {
            // Another client may own the domain now: it completes or undoes this operation from its journal. This
            // client changes nothing more (each change would be refused by the fence anyway).
            log.debug("{} {}: the lease was lost at step {}; leaving the operation to the lease's new owner",
                    plan.operation(), domain, i + 1);
            return;
        }
        if (committed && !merging) {
            complete(plan, i, e);
        } else if (merging) {
            abort(plan, i, e);
        } else {
            undo(plan, i, undo, e);
        }
    }

    /** Past the point of no return: finishes the operation instead (every step is safe to repeat). */
    private void complete(OperationPlan plan, int index, RuntimeException e) {
        log.warn("{} {}: step {} failed ({}) after a step that cannot be undone; completing the operation",
                plan.operation(), domain, index + 1, e.toString());
        try {
            new Recoverer(storage, domain, steps, journal).recover(journal.current());
        } catch (RuntimeException r) {
            e.addSuppressed(r);
            throw new IllegalStateException("the " + plan.operation().name().toLowerCase() + " of domain '"
                    + domain + "' failed half-way and could not be completed; its journal is kept: run"
                    + " recover once the cause (" + e.getMessage() + ") is fixed", e);
        }
    }

    /** Once a merge started: the failed disk is made consistent, then the plan's abort steps run. */
    private void abort(OperationPlan plan, int index, RuntimeException e) {
        List<Step> all = plan.steps();
        log.warn("{} {}: step {} failed or was cancelled during merges ({}); removing the snapshots being"
                + " merged so that none is left with wrong content", plan.operation(), domain, index + 1,
                e.toString());
        boolean consistent = true;
        if (!(all.get(index) instanceof Step.Merge)) {
            // The disk whose merge completed is made consistent first: the rest of its steps run.
            for (int j = index; j < all.size() && !(all.get(j) instanceof Step.Merge)
                    && !(all.get(j) instanceof Step.RemoveSnapshot); j++) {
                try {
                    steps.apply(all.get(j), true);
                } catch (RuntimeException a) {
                    e.addSuppressed(a);
                    consistent = false;
                    break;
                }
            }
        }
        for (Step s : plan.onAbort()) {
            try {
                steps.apply(s, true);
            } catch (RuntimeException a) {
                e.addSuppressed(a);
                consistent = false;
            }
        }
        if (consistent) {
            journal.clear();
        }
    }

    /** Before any merge and any step that cannot be undone: the steps taken are undone in reverse. */
    private void undo(OperationPlan plan, int index, Deque<Runnable> undo, RuntimeException e) {
        log.debug("{} {}: step {} failed ({}); undoing {} steps", plan.operation(), domain, index + 1, e.toString(),
                undo.size());
        boolean undone = true;
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (RuntimeException u) {
                log.warn("{} {}: undoing a step failed: {}", plan.operation(), domain, u.toString());
                e.addSuppressed(u);
                undone = false;
            }
        }
        if (undone) {
            journal.clear();
        }
    }
}
