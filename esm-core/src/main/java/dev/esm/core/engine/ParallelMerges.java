package dev.esm.core.engine;

import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Step;
import dev.esm.core.port.Cancellation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the merges of several disks that follow one another in a plan at once (one thread each; libvirt's
 * connection and QEMU take them in parallel: live, one block job per disk, each pivoted and finished on its own
 * disk's events; offline, one commit per disk), then the steps of each disk whose merge completed. A merge that
 * fails does not stop the others (their disks are made consistent); cancellation reaches all of them. Single-use
 * per batch; its threads are its own.
 */
final class ParallelMerges {
    private static final Logger LOG = LoggerFactory.getLogger(ParallelMerges.class);

    private final String domain;
    private final StepRunner steps;
    private final Executor.StepListener faults;
    private final Events events;
    private final Cancellation cancel;
    private final JournalKeeper journal;

    ParallelMerges(String domain, StepRunner steps, Executor.StepListener faults, Events events, Cancellation cancel,
                   JournalKeeper journal) {
        this.domain = domain;
        this.steps = steps;
        this.faults = faults;
        this.events = events;
        this.cancel = cancel;
        this.journal = journal;
    }

    /**
     * @return the indexes of the merges that follow one another from {@code first} (each followed by its disk's
     *         steps), then the index after the last of those steps
     */
    static List<Integer> mergesFrom(List<Step> steps, int first) {
        List<Integer> out = new ArrayList<>();
        int j = first;
        while (j < steps.size() && steps.get(j) instanceof Step.Merge) {
            out.add(j++);
            while (j < steps.size() && !(steps.get(j) instanceof Step.Merge)
                    && !(steps.get(j) instanceof Step.RemoveSnapshot)) {
                j++;
            }
        }
        out.add(j); // the end, exclusive
        return out;
    }

    /**
     * Runs the batch; the first failure is rethrown once every disk is consistent again.
     *
     * @param batch the merges' indexes, then the index after the last disk's steps (see {@link #mergesFrom})
     * @return the index of the last step run
     */
    int run(OperationPlan plan, List<Integer> batch) {
        List<Step> all = plan.steps();
        List<Integer> merges = batch.subList(0, batch.size() - 1);
        int end = batch.get(batch.size() - 1);
        for (int k : merges) {
            faults.beforeStep(plan, k, all.get(k));
        }
        ExecutorService pool = Executors.newFixedThreadPool(merges.size(), r -> {
            Thread t = new Thread(r, "esm-merge-" + domain);
            t.setDaemon(true);
            return t;
        });
        Map<Integer, Future<?>> running = new LinkedHashMap<>();
        for (int k : merges) {
            Step.Merge m = (Step.Merge) all.get(k);
            LOG.debug("{} {}: step {}/{}: {}", plan.operation(), domain, k + 1, all.size(), m.describe());
            running.put(k, pool.submit(() -> {
                Instant started = events.stepStarted(plan, k, m);
                try {
                    steps.merge(m, false);
                    events.stepFinished(plan, k, m, started, null);
                } catch (RuntimeException e) {
                    events.stepFinished(plan, k, m, started, e);
                    throw e;
                }
            }));
        }
        RuntimeException failure = null;
        Set<Integer> merged = new HashSet<>();
        for (Map.Entry<Integer, Future<?>> f : running.entrySet()) {
            while (true) {
                try {
                    f.getValue().get();
                    merged.add(f.getKey());
                    break;
                } catch (ExecutionException e) {
                    RuntimeException r = e.getCause() instanceof RuntimeException re ? re
                            : new IllegalStateException(e.getCause());
                    failure = first(failure, r);
                    break;
                } catch (InterruptedException e) {
                    cancel.cancel(); // the merges see it and stop; wait for them
                }
            }
        }
        pool.shutdown();
        for (int u = 0; u < merges.size(); u++) {
            if (!merged.contains(merges.get(u))) {
                continue;
            }
            int to = u + 1 < merges.size() ? merges.get(u + 1) : end;
            for (int j = merges.get(u) + 1; j < to; j++) {
                Step step = all.get(j);
                try {
                    if (failure == null) {
                        faults.beforeStep(plan, j, step);
                        Instant started = events.stepStarted(plan, j, step);
                        try {
                            steps.apply(step, false);
                        } catch (RuntimeException e) {
                            events.stepFinished(plan, j, step, started, e);
                            throw e;
                        }
                        events.stepFinished(plan, j, step, started, null);
                        // Steps before j are done: this disk's, and the merges (not yet the steps) of the disks
                        // after. A recovery repeats those merges (their images are untouched until their own steps
                        // run).
                        journal.done(j);
                    } else {
                        steps.apply(step, true);
                    }
                } catch (RuntimeException e) {
                    failure = first(failure, e);
                    steps.apply(step, true); // the disk is made consistent before the abort
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return end - 1;
    }

    private static RuntimeException first(RuntimeException failure, RuntimeException next) {
        if (failure == null) {
            return next;
        }
        failure.addSuppressed(next);
        return failure;
    }
}
