package dev.esm.core.engine;

import dev.esm.api.ProgressListener;
import dev.esm.core.plan.Journal;
import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Step;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Host;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a plan's steps in order through the port, keeping a durable {@link Journal} of how far it got. What each
 * step does is {@link StepRunner}'s; the merges of several disks that follow one another run at once
 * ({@link ParallelMerges}); a journal a stopped process left is finished by {@link Recoverer}. This class holds the
 * three failure policies:
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
 * <p>Not thread-safe: one executor runs one plan (its merge threads are its own; the port is called from them).
 */
public final class Executor {
    private static final Logger LOG = LoggerFactory.getLogger(Executor.class);

    private final Host host;
    private final String domain;
    private final StepListener faults;
    private final Events events;
    private final Cancellation cancel;
    private final Clock clock;
    private final JournalKeeper journal;
    private final StepRunner steps;

    /** Observes steps; the fault-injection seam of the tests. */
    public interface StepListener {
        /** Called before step {@code index} (0-based) runs; throwing fails the plan at that point. */
        void beforeStep(OperationPlan plan, int index, Step step);
    }

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

    /**
     * @param faults observes steps
     * @param progress receives merge progress
     * @param cancel polled before the first step, before each merge and during merges
     * @param sink keeps the journal
     */
    public Executor(Host host, String domain, StepListener faults, ProgressListener progress, Cancellation cancel,
                    JournalSink sink, Clock clock) {
        this(host, domain, faults, Events.NONE, progress, cancel, sink, clock);
    }

    Executor(Host host, String domain, StepListener faults, Events events, ProgressListener progress,
             Cancellation cancel, JournalSink sink, Clock clock) {
        this.host = host;
        this.domain = domain;
        this.faults = faults;
        this.events = events;
        this.cancel = cancel;
        this.clock = clock;
        this.journal = new JournalKeeper(sink);
        this.steps = new StepRunner(host, domain, progress, cancel, journal);
    }

    /** Runs every step of the plan, or none (as far as undo can reach); see the class comment. */
    public void run(OperationPlan plan) {
        journal.start(plan, clock.instant());
        // A restore's definition is prepared while the steps before it run (see StepRunner#prepareRestoreAhead).
        plan.steps().stream().filter(s -> s instanceof Step.RestoreMemory).findFirst()
                .ifPresent(s -> steps.prepareRestoreAhead((Step.RestoreMemory) s));
        try {
            runSteps(plan);
        } finally {
            steps.awaitAhead();
        }
    }

    private void runSteps(OperationPlan plan) {
        Deque<Runnable> undo = new ArrayDeque<>();
        List<Step> all = plan.steps();
        boolean merging = false;
        boolean committed = false; // a step that cannot be undone has run: from here on, only forward
        for (int i = 0; i < all.size(); i++) {
            Step step = all.get(i);
            try {
                if (i == 0 || step instanceof Step.Merge) {
                    // Cancellation is honoured before the first step and before each merge; once a merge has
                    // completed, the steps that make the disk consistent again always run.
                    cancel.check(plan.operation().name().toLowerCase() + " of domain '" + domain + "'");
                }
                if (step instanceof Step.Merge) {
                    merging = true;
                    List<Integer> batch = ParallelMerges.mergesFrom(all, i);
                    // The disks' merges are independent: run them together, then each disk's remaining steps.
                    if (batch.size() > 2) {
                        i = new ParallelMerges(domain, steps, faults, events, cancel, journal).run(plan, batch);
                        journal.done(i);
                        continue;
                    }
                }
                faults.beforeStep(plan, i, step);
                LOG.debug("{} {}: step {}/{}: {}", plan.operation(), domain, i + 1, all.size(), step.describe());
                Runnable u = applyReported(plan, i, step);
                if (u != null) {
                    undo.push(u);
                } else {
                    committed = true;
                }
                journal.done(i);
            } catch (RuntimeException e) {
                if (committed && !merging) {
                    complete(plan, i, e);
                } else if (merging) {
                    abort(plan, i, e);
                } else {
                    undo(plan, i, undo, e);
                }
                throw e;
            }
        }
        journal.clear();
    }

    private Runnable applyReported(OperationPlan plan, int index, Step step) {
        Instant started = events.stepStarted(plan, index, step);
        try {
            Runnable u = steps.apply(step, false);
            events.stepFinished(plan, index, step, started, null);
            return u;
        } catch (RuntimeException e) {
            events.stepFinished(plan, index, step, started, e);
            throw e;
        }
    }

    /** Past the point of no return: finishes the operation instead (every step is safe to repeat). */
    private void complete(OperationPlan plan, int index, RuntimeException e) {
        LOG.warn("{} {}: step {} failed ({}) after a step that cannot be undone; completing the operation",
                plan.operation(), domain, index + 1, e.toString());
        try {
            recover(journal.current());
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
        LOG.warn("{} {}: step {} failed or was cancelled during merges ({}); removing the snapshots being"
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
        LOG.debug("{} {}: step {} failed ({}); undoing {} steps", plan.operation(), domain, index + 1, e.toString(),
                undo.size());
        boolean undone = true;
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (RuntimeException u) {
                LOG.warn("{} {}: undoing a step failed: {}", plan.operation(), domain, u.toString());
                e.addSuppressed(u);
                undone = false;
            }
        }
        if (undone) {
            journal.clear();
        }
    }

    /**
     * Finishes or undoes an operation a stopped process left; see {@link Recoverer#recover(Journal)}.
     *
     * @return whether it was completed (true) or undone (false)
     */
    public boolean recover(Journal found) {
        return new Recoverer(host.storage(), domain, steps, journal).recover(found);
    }
}
