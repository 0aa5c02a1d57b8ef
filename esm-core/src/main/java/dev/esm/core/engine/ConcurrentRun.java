package dev.esm.core.engine;

import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Step;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.slf4j.Logger;

/**
 * A run of file steps, one per disk (see {@link JournalPoints#runEnd}), on the manager's executor: steps
 * {@code from..to} started one after another as the fault seam lets them (each after its
 * {@link StepListener#beforeStep}), then awaited together. The fault seam's verdict on a step stops the starting
 * of the rest; what was started is always awaited before anything is thrown, so no step runs on behind a failure.
 * Single-use, on the thread that runs the plan.
 */
final class ConcurrentRun {
    /** A step of a concurrent run failed (after the others ended). */
    static final class RunFailure extends RuntimeException {
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

        /** @return the step's own failure */
        RuntimeException failure() {
            return cause;
        }

        /** @return the index of the step that failed */
        int index() {
            return index;
        }

        /** @return whether a step of the run that cannot be undone ran */
        boolean committed() {
            return committed;
        }
    }

    private final int from;
    private final List<Future<Runnable>> started = new ArrayList<>();
    private Throwable stopped;

    /**
     * Starts the run.
     *
     * @param steps runs the plan's step of an index with its events, and returns its undo (or null); see
     *        {@link StepRunner#apply}
     * @param workers the manager's executor
     * @param log the executor's logger: the run's lines are the executor's, under its name
     */
    ConcurrentRun(OperationPlan plan, int from, int to, String domain, StepListener faults, IntFunction<Runnable> steps,
                  ExecutorService workers, Logger log) {
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
            log.debug("{} {}: step {}/{} (at once with its run): {}", plan.operation(), domain, k + 1,
                    plan.steps().size(), step.describe());
            started.add(Workers.submit(workers, () -> steps.apply(index)));
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
                Runnable u = Workers.getUninterruptibly(started.get(n));
                if (u != null) {
                    undo.push(u);
                } else {
                    committed = true;
                }
            } catch (ExecutionException e) {
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
