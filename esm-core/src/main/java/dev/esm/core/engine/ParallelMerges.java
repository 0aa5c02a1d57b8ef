package dev.esm.core.engine;

import dev.esm.api.errors.LeaseLostException;

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
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the merges of several disks that follow one another in a plan at once (one task each; libvirt's
 * connection and QEMU take them in parallel: live, one block job per disk, each pivoted and finished on its own
 * disk's events; offline, one commit per disk), then the steps of each disk whose merge completed. A merge that
 * fails does not stop the others (their disks are made consistent); cancellation reaches all of them. Single-use
 * per batch.
 *
 * <p>Threads: the merges and the removals run on the manager's executor ({@link dev.esm.api.Settings#executor()},
 * see {@link Executor}); the calling thread waits for every one it submitted before it returns or throws. No thread
 * or pool of its own; the executor is not shut down here.
 */
final class ParallelMerges {
    private static final Logger LOG = LoggerFactory.getLogger(ParallelMerges.class);

    private final String domain;
    private final StepRunner steps;
    private final StepListener faults;
    private final Events events;
    private final Cancellation cancel;
    private final JournalKeeper journal;
    /** The manager's executor. */
    private final ExecutorService pool;

    ParallelMerges(String domain, StepRunner steps, StepListener faults, Events events, Cancellation cancel,
                   JournalKeeper journal, ExecutorService pool) {
        this.pool = pool;
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
        return JournalPoints.mergesFrom(steps, first);
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
        Map<Integer, Future<?>> running = new LinkedHashMap<>();
        for (int k : merges) {
            Step.Merge m = (Step.Merge) all.get(k);
            LOG.debug("{} {}: step {}/{}: {}", plan.operation(), domain, k + 1, all.size(), m.describe());
            running.put(k, Workers.submit(pool, () -> {
                Instant started = events.stepStarted(plan, k, m);
                try {
                    steps.merge(m, false);
                    events.stepFinished(plan, k, m, started, null);
                } catch (RuntimeException e) {
                    events.stepFinished(plan, k, m, started, e);
                    throw e;
                }
                return null;
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
        if (failure == null && together(all, merges, end)) {
            runTogether(plan, merges.get(0) + 1, end);
            return end - 1;
        }
        if (failure instanceof LeaseLostException) {
            throw failure; // the new owner of the lease makes the disks consistent, from the journal
        }
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

    /**
     * Whether the disks' steps after the batch's merges may run together, for all disks at once: one definition of
     * the domain with every disk's new image, one redefinition of each snapshot whose images moved, the merged
     * files removed in parallel, and no journal write until the executor records the whole batch. Recovery repeats
     * every step from the batch's first merge then; that is harmless only where repeating a merge is: a live merge
     * finds its top out of the disk's chain (in the running domain, or in the image headers once it was shut off,
     * see {@link StepRunner#merge}) or removed, and does nothing. An offline merge repeated after its disk's steps
     * would write into an image a rebased child or a redefined snapshot stands on, so offline batches record each
     * disk's merge before its steps run (one journal write per step, disk after disk).
     */
    static boolean together(List<Step> all, List<Integer> merges, int end) {
        for (int k : merges) {
            if (!((Step.Merge) all.get(k)).live()) {
                return false;
            }
        }
        for (int j = merges.get(0) + 1; j < end; j++) {
            Step s = all.get(j);
            boolean known = s instanceof Step.Merge || s instanceof Step.Rebase || s instanceof Step.RemoveFile
                    || s instanceof Step.RewriteSnapshotImages
                    || (s instanceof Step.DefineDomain d && d.record().isEmpty());
            if (!known) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs the steps between {@code from} and {@code end} that are not merges, kind after kind in each disk's order
     * (rebases, the domain's definition, the snapshots' redefinitions, the removals), each kind in one call where
     * the port allows. Each step's fault point and events come just before and after its kind runs. On a failure
     * every one of these steps runs again (each is safe to repeat), so that every disk is consistent before the
     * failure is rethrown for the abort.
     */
    private void runTogether(OperationPlan plan, int from, int end) {
        List<Step> all = plan.steps();
        List<List<Integer>> kinds = new ArrayList<>();
        List<Integer> rebases = new ArrayList<>();
        List<Integer> defines = new ArrayList<>();
        Map<String, List<Integer>> rewrites = new LinkedHashMap<>();
        List<Integer> removals = new ArrayList<>();
        for (int j = from; j < end; j++) {
            Step s = all.get(j);
            if (s instanceof Step.Rebase) {
                rebases.add(j);
            } else if (s instanceof Step.DefineDomain) {
                defines.add(j);
            } else if (s instanceof Step.RewriteSnapshotImages r) {
                rewrites.computeIfAbsent(r.name(), n -> new ArrayList<>()).add(j);
            } else if (s instanceof Step.RemoveFile) {
                removals.add(j);
            }
        }
        rebases.forEach(j -> kinds.add(List.of(j)));
        kinds.add(defines);
        kinds.addAll(rewrites.values());
        kinds.add(removals);
        RuntimeException failure = null;
        for (List<Integer> kind : kinds) {
            if (kind.isEmpty()) {
                continue;
            }
            List<Instant> started = new ArrayList<>();
            try {
                for (int j : kind) {
                    faults.beforeStep(plan, j, all.get(j));
                }
                for (int j : kind) {
                    LOG.debug("{} {}: step {}/{}: {}", plan.operation(), domain, j + 1, all.size(), all.get(j).describe());
                    started.add(events.stepStarted(plan, j, all.get(j)));
                }
                runKind(all, kind);
            } catch (RuntimeException e) {
                for (int n = 0; n < started.size(); n++) {
                    events.stepFinished(plan, kind.get(n), all.get(kind.get(n)), started.get(n), e);
                }
                failure = e;
                break;
            }
            for (int n = 0; n < kind.size(); n++) {
                events.stepFinished(plan, kind.get(n), all.get(kind.get(n)), started.get(n), null);
            }
        }
        if (failure == null) {
            return;
        }
        for (int j = from; j < end; j++) {
            if (!(all.get(j) instanceof Step.Merge)) {
                try {
                    steps.apply(all.get(j), true);
                } catch (RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
        }
        throw failure;
    }

    /** Runs steps of one kind: a definition or a snapshot's redefinition for all disks in one call, removals at once. */
    private void runKind(List<Step> all, List<Integer> kind) {
        Step first = all.get(kind.get(0));
        if (kind.size() == 1) {
            steps.apply(first, false);
        } else if (first instanceof Step.DefineDomain) {
            Map<String, dev.esm.api.DiskImage> sources = new LinkedHashMap<>();
            kind.forEach(j -> sources.putAll(((Step.DefineDomain) all.get(j)).sources()));
            steps.apply(new Step.DefineDomain(sources, java.util.Optional.empty()), false);
        } else if (first instanceof Step.RewriteSnapshotImages r) {
            Map<String, dev.esm.api.DiskImage> images = new LinkedHashMap<>();
            kind.forEach(j -> images.putAll(((Step.RewriteSnapshotImages) all.get(j)).images()));
            steps.apply(new Step.RewriteSnapshotImages(r.name(), images), false);
        } else {
            List<Future<?>> removing = new ArrayList<>();
            for (int j : kind) {
                removing.add(Workers.submit(pool, () -> steps.apply(all.get(j), false)));
            }
            RuntimeException failure = null;
            for (Future<?> f : removing) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    failure = first(failure, e.getCause() instanceof RuntimeException re ? re
                            : new IllegalStateException(e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = first(failure, new dev.esm.api.errors.OperationCancelledException(
                            "interrupted while removing merged images"));
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    private static RuntimeException first(RuntimeException failure, RuntimeException next) {
        if (failure == null) {
            return next;
        }
        if (next instanceof LeaseLostException && !(failure instanceof LeaseLostException)) {
            next.addSuppressed(failure); // a lost lease outranks everything: nothing more may be changed
            return next;
        }
        failure.addSuppressed(next);
        return failure;
    }
}
