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
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
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
    private static final Logger LOG = LoggerFactory.getLogger(Executor.class);

    private final Host host;
    private final String domain;
    private final StepListener faults;
    private final Events events;
    private final Cancellation cancel;
    private final Clock clock;
    private final JournalKeeper journal;
    private final StepRunner steps;
    /** The manager's executor: the concurrent runs, the merges and the restore prepared ahead run on it. */
    private final ExecutorService workers;

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
    }

    /**
     * Runs a revert or refresh planned from {@code view}: its definition and snapshot steps take the XMLs from that
     * view instead of reading them again ({@link StepRunner#readAtPlanning}). Other plans run as {@link #run}.
     */
    void run(OperationPlan plan, dev.esm.core.plan.DomainView view) {
        if (plan.operation() == dev.esm.api.Operation.REVERT || plan.operation() == dev.esm.api.Operation.REFRESH) {
            steps.readAtPlanning(view);
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
                int end = runEnd(all, i);
                if (end > i) {
                    // One file step per disk: at once (over a remote connection each is a few round trips).
                    Concurrent run = new Concurrent(plan, i, end);
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
                if (!recordedLater(all, i)) {
                    journal.done(i);
                }
            } catch (RunFailure f) {
                // A step of a concurrent run failed: the policies below apply at that step, with the run's other
                // steps done (and their undo pushed) or not started.
                failed(plan, f.index, undo, committed || f.committed, merging, f.cause);
                throw f.cause;
            } catch (RuntimeException e) {
                failed(plan, i, undo, committed, merging, e);
                throw e;
            }
        }
        journal.clear();
    }

    /**
     * Whether step {@code i} is recorded as done with a later write instead of its own. Over libvirt's storage API
     * every journal write is a call to the host that syncs the domain's definition to its disk, so a plan writes
     * where a stop would otherwise be recovered wrongly, not after every step. Recovery repeats the first unrecorded
     * step and everything after it, so a step may go unrecorded when repeating it after later steps ran is harmless:
     * <ul>
     * <li>in a run of overlay creations (one per disk), all but the last: a creation is exclusive and found made when
     * repeated, and recovery undoes the whole run when it undoes ({@link #inOverlayRun}); such runs, and runs of file
     * removals anywhere in a plan (a removal of a removed file does nothing), run at once ({@link #runEnd}) and are
     * recorded at their end;
     * <li>a tail of steps that only set things to what the plan says: the definition (once), libvirt's current
     * snapshot, file removals, and a last start or restore from a memory file (each does nothing when repeated on a
     * domain that runs). Recovery completes such a tail (a definition is past the point of no return for recovery;
     * the steps before it are recorded).
     * </ul>
     * The last step is never recorded: the journal is removed next.
     *
     * @param all a plan's steps
     * @param i the index of a step
     * @return whether no journal write follows step {@code i}
     */
    static boolean recordedLater(List<Step> all, int i) {
        if (i >= all.size() - 1 || inOverlayRun(all, i)) {
            return true;
        }
        int defines = 0;
        for (Step s : all.subList(i, all.size())) {
            if (s instanceof Step.DefineDomain) {
                defines++;
            } else if (!(s instanceof Step.SetCurrent || s instanceof Step.RemoveFile
                    || s instanceof Step.RestoreMemory || s instanceof Step.StartDomain)) {
                return false;
            }
        }
        return defines <= 1;
    }

    /**
     * @param all a plan's steps
     * @param i the index of a step
     * @return whether step {@code i} and the next one both create an overlay: the run is recorded at its end, and a
     *         recovery that undoes treats the rest of a run as possibly done
     */
    static boolean inOverlayRun(List<Step> all, int i) {
        return i < all.size() && all.get(i) instanceof Step.CreateOverlay && runEnd(all, i) > i;
    }

    /**
     * @return the last index of the run of overlay creations, or of file removals, that starts at {@code i} (steps
     *         that touch one file each and may run at once), or {@code i} when none starts there
     */
    static int runEnd(List<Step> all, int i) {
        Step first = all.get(i);
        if (!(first instanceof Step.CreateOverlay || first instanceof Step.RemoveFile)) {
            return i;
        }
        int end = i;
        while (end + 1 < all.size() && all.get(end + 1).getClass() == first.getClass()) {
            end++;
        }
        return end;
    }

    /** A step of a concurrent run failed (after the others ended). */
    private static final class RunFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient RuntimeException cause;
        private final int index;
        private final boolean committed;

        RunFailure(RuntimeException cause, int index, boolean committed) {
            super(cause.getMessage(), cause, false, false);
            this.cause = cause;
            this.index = index;
            this.committed = committed;
        }
    }

    /**
     * Submits {@code task} to the manager's executor; a refusal (an executor shut down or full) becomes the task's
     * failure, so that the caller awaits what it started and applies its failure policy as for any failed step.
     */
    static <T> Future<T> submit(ExecutorService workers, Callable<T> task) {
        try {
            return workers.submit(task);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("the manager's executor refused a step ("
                    + e.getMessage() + "); was it shut down while a manager used it?", e));
        }
    }

    /**
     * Steps {@code from..to} started one after another as the fault seam lets them (each after its
     * {@link StepListener#beforeStep}), then awaited together. The fault seam's verdict on a step stops the starting
     * of the rest; what was started is always awaited before anything is thrown, so no step runs on behind a failure.
     */
    private final class Concurrent {
        private final OperationPlan plan;
        private final int from;
        private final List<java.util.concurrent.Future<Runnable>> started = new java.util.ArrayList<>();
        private Throwable stopped;

        Concurrent(OperationPlan plan, int from, int to) {
            this.plan = plan;
            this.from = from;
            for (int k = from; k <= to; k++) {
                Step step = plan.steps().get(k);
                try {
                    faults.beforeStep(plan, k, step);
                } catch (RuntimeException | Error e) {
                    stopped = e;
                    break;
                }
                int index = k;
                LOG.debug("{} {}: step {}/{} (at once with its run): {}", plan.operation(), domain, k + 1,
                        plan.steps().size(), step.describe());
                started.add(submit(workers, () -> applyReported(plan, index, step)));
            }
        }

        /**
         * Waits for every started step; pushes the undo of each that succeeded.
         *
         * @return whether a step that cannot be undone ran
         * @throws RunFailure the first failure, with its step's index
         */
        boolean await(Deque<Runnable> undo) {
            boolean committed = false;
            RuntimeException failure = null;
            int failedAt = -1;
            for (int n = 0; n < started.size(); n++) {
                try {
                    Runnable u = getUninterruptibly(started.get(n));
                    if (u != null) {
                        undo.push(u);
                    } else {
                        committed = true;
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException r ? r
                                : new IllegalStateException(e.getCause());
                        failedAt = from + n;
                    }
                }
            }
            if (stopped instanceof Error err) {
                throw err; // a halt (tests): as a killed process, nothing more happens
            }
            if (failure == null && stopped != null) {
                failure = (RuntimeException) stopped;
                failedAt = from + started.size();
            }
            if (failure != null) {
                throw new RunFailure(failure, failedAt, committed);
            }
            return committed;
        }
    }

    private static <T> T getUninterruptibly(java.util.concurrent.Future<T> f)
            throws java.util.concurrent.ExecutionException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
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

    /** Applies the failure policy of the class comment to a failure of step {@code i}. */
    private void failed(OperationPlan plan, int i, Deque<Runnable> undo, boolean committed, boolean merging,
                        RuntimeException e) {
        if (e instanceof dev.esm.api.errors.LeaseLostException) {
            // Another client may own the domain now: it completes or undoes this operation from its journal. This
            // client changes nothing more (each change would be refused by the fence anyway).
            LOG.debug("{} {}: the lease was lost at step {}; leaving the operation to the lease's new owner",
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
    /** @return the journal as this executor last wrote it (empty before its first write) */
    java.util.Optional<Journal> lastWritten() {
        return java.util.Optional.ofNullable(journal.current());
    }

    public boolean recover(Journal found) {
        return new Recoverer(host.storage(), domain, steps, journal).recover(found);
    }
}
