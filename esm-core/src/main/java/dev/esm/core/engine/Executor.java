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
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a plan's steps in order through the port, keeping a durable {@link Journal} of how far it got. What each
 * step does is {@link StepRunner}'s; a run of file steps runs at once ({@link ConcurrentRun}); the merges of several
 * disks that follow one another run at once ({@link ParallelMerges}); where the journal is written is
 * {@link JournalPoints}'; a journal a stopped process left is finished by {@link Recoverer}. A step that fails leads
 * to one of three failure policies ({@link FailurePolicy}): the steps taken are undone before any merge and any step
 * that cannot be undone; the operation is completed after a step that cannot be undone; the plan's abort steps run
 * once a merge started.
 *
 * <p>Threads: the plan runs on the calling thread; what runs at once (the merges of several disks, a run of file
 * steps, a restore's definition prepared ahead) runs on the manager's executor
 * ({@link dev.esm.api.Settings#executor()}, given to this class), and the calling thread waits for every task it submitted before it returns or throws, so no
 * step runs on behind an operation. A task never waits for another task, so an executor with fewer threads only
 * makes them take turns; one that refuses a task fails that step. No class of the engine makes a thread or a pool of
 * its own, and none shuts the executor down.
 *
 * <p>Not thread-safe: one executor runs one plan (the port is called from the executor's threads as well).
 */
public final class Executor {
    /** Also the logger of the run's concurrent steps and of the failure policies, which log as the executor. */
    private static final Logger LOG = LoggerFactory.getLogger(Executor.class);

    private final Host host;
    private final String domain;
    private final StepListener faults;
    private final Events events;
    private final Cancellation cancel;
    private final Clock clock;
    private final JournalKeeper journal;
    private final StepRunner steps;
    private final FailurePolicy policy;
    /** The manager's executor: the concurrent runs, the merges and the restore prepared ahead run on it. */
    private final ExecutorService workers;

    /**
     * An executor whose concurrent work runs on the default {@link dev.esm.api.Settings#executor()}.
     *
     * @param faults observes steps
     * @param progress receives merge progress
     * @param cancel polled before the first step, before each merge and during merges
     * @param sink keeps the journal
     */
    public Executor(Host host, String domain, StepListener faults, ProgressListener progress, Cancellation cancel,
                    JournalSink sink, Clock clock) {
        this(host, domain, faults, Events.NONE, progress, cancel, sink, clock,
                dev.esm.api.Settings.defaults().executor());
    }

    /** @param workers the manager's executor (see the class comment); never shut down here */
    Executor(Host host, String domain, StepListener faults, Events events, ProgressListener progress,
             Cancellation cancel, JournalSink sink, Clock clock, ExecutorService workers) {
        this.host = host;
        this.domain = domain;
        this.faults = faults;
        this.events = events;
        this.cancel = cancel;
        this.clock = clock;
        this.workers = java.util.Objects.requireNonNull(workers, "workers");
        this.journal = new JournalKeeper(sink);
        this.steps = new StepRunner(host, domain, progress, cancel, journal, workers);
        this.policy = new FailurePolicy(host.storage(), domain, steps, journal, LOG);
    }

    /**
     * Runs a plan made from {@code view}. A revert's or refresh's definition and snapshot steps take the XMLs from
     * that view instead of reading them again ({@link StepRunner#readAtPlanning}); a delete's or commit's snapshot
     * removals take from it which snapshots are children of which ({@link StepRunner#knowParents}: their views hold
     * every snapshot). Other plans run as {@link #run}.
     */
    void run(OperationPlan plan, dev.esm.core.plan.DomainView view) {
        if (plan.operation() == dev.esm.api.Operation.REVERT || plan.operation() == dev.esm.api.Operation.REFRESH) {
            steps.readAtPlanning(view);
        } else if (plan.operation() == dev.esm.api.Operation.DELETE
                || plan.operation() == dev.esm.api.Operation.COMMIT) {
            steps.knowParents(view, plan.steps());
        }
        run(plan);
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
            journal.running(i);
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
                        i = new ParallelMerges(domain, steps, faults, events, cancel, journal, workers).run(plan, batch);
                        journal.done(i);
                        continue;
                    }
                }
                int end = JournalPoints.runEnd(all, i);
                if (end > i) {
                    // One file step per disk: at once (over a remote connection each is a few round trips).
                    ConcurrentRun run = new ConcurrentRun(plan, i, end, domain, faults,
                            k -> applyReported(plan, k, all.get(k)), workers, LOG);
                    committed |= run.await(undo);
                    i = end;
                } else {
                    faults.beforeStep(plan, i, step);
                    LOG.debug("{} {}: step {}/{}: {}", plan.operation(), domain, i + 1, all.size(), step.describe());
                    Runnable u = applyReported(plan, i, step);
                    if (u != null) {
                        undo.push(u);
                    } else {
                        committed = true;
                    }
                }
                if (!JournalPoints.recordedLater(all, i)) {
                    journal.done(i);
                }
            } catch (ConcurrentRun.RunFailure f) {
                // A step of a concurrent run failed: the policies apply at that step, with the run's other steps
                // done (and their undo pushed) or not started.
                policy.failed(plan, f.index(), undo, committed || f.committed(), merging, f.failure());
                throw f.failure();
            } catch (RuntimeException e) {
                policy.failed(plan, i, undo, committed, merging, e);
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

    /** @return the journal as this executor last wrote it (empty before its first write) */
    java.util.Optional<Journal> lastWritten() {
        return java.util.Optional.ofNullable(journal.current());
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
