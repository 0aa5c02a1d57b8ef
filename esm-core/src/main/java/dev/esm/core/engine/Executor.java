package dev.esm.core.engine;

import dev.esm.api.DomainState;
import dev.esm.api.ImageFormat;
import dev.esm.api.ProgressListener;
import dev.esm.core.plan.Journal;
import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Step;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Host;
import dev.esm.core.port.SnapshotFlag;
import dev.esm.core.port.Storage;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.SnapshotXml;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a plan's steps in order through the port, keeping a durable {@link Journal} of how far it got. The merges
 * of several disks that follow one another in a plan run at once (one thread each, live or offline), then each
 * disk's remaining steps in plan order.
 *
 * <ul>
 *   <li>A step that fails before any merge started: the steps taken are undone in reverse (overlays and copies
 *       removed, the previous definition restored), then the failure is rethrown. Steps that cannot be undone
 *       come last in every plan (removals, start).</li>
 *   <li>A failure or cancellation once a merge started: the plan's abort steps run (the snapshots being removed
 *       are removed, so that none is left with wrong content), then the failure is rethrown.</li>
 *   <li>A process that stops in the middle leaves the journal; {@link #recover(Journal)} then undoes the
 *       operation if only files were created so far, else completes it, every step being safe to repeat.</li>
 * </ul>
 *
 * <p>Not thread-safe: one executor runs one plan (its merge threads are its own; the port is called from them).
 */
public final class Executor {
    private static final Logger LOG = LoggerFactory.getLogger(Executor.class);

    private final Host host;
    private final Storage storage;
    private final String domain;
    private final StepListener listener;
    private final ProgressListener progress;
    private final Cancellation cancel;
    private final JournalSink sink;
    private final Clock clock;
    private Journal journal;

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
     * @param listener observes steps
     * @param progress receives merge progress
     * @param cancel polled before the first step, before each merge and during merges
     * @param sink keeps the journal
     */
    public Executor(Host host, String domain, StepListener listener, ProgressListener progress, Cancellation cancel,
                    JournalSink sink, Clock clock) {
        this.host = host;
        this.storage = host.storage();
        this.domain = domain;
        this.listener = listener;
        this.progress = progress;
        this.cancel = cancel;
        this.sink = sink;
        this.clock = clock;
    }

    /** Runs every step of the plan, or none (as far as undo can reach); see the class comment. */
    public void run(OperationPlan plan) {
        journal = Journal.of(plan, clock.instant());
        sink.write(journal);
        Deque<Runnable> undo = new ArrayDeque<>();
        List<Step> steps = plan.steps();
        boolean merging = false;
        boolean committed = false; // a step that cannot be undone has run: from here on, only forward
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            try {
                if (i == 0 || step instanceof Step.Merge) {
                    // Cancellation is honoured before the first step and before each merge; once a merge has
                    // completed, the steps that make the disk consistent again always run.
                    cancel.check(plan.operation().name().toLowerCase() + " of domain '" + domain + "'");
                }
                if (step instanceof Step.Merge) {
                    List<Integer> batch = mergesFrom(steps, i);
                    // The disks' merges are independent (one block job, or one offline commit, per disk, each
                    // finished on its own disk's events): run them together, then each disk's remaining steps.
                    if (batch.size() > 2) {
                        for (int k : batch.subList(0, batch.size() - 1)) {
                            listener.beforeStep(plan, k, steps.get(k));
                        }
                        merging = true;
                        i = runTogether(plan, batch);
                        journal = journal.done(i);
                        sink.write(journal);
                        continue;
                    }
                    merging = true;
                }
                listener.beforeStep(plan, i, step);
                LOG.debug("{} {}: step {}/{}: {}", plan.operation(), domain, i + 1, steps.size(), step.describe());
                Runnable u = apply(step, false);
                if (u != null) {
                    undo.push(u);
                } else {
                    committed = true;
                }
                journal = journal.done(i);
                sink.write(journal);
            } catch (RuntimeException e) {
                if (committed && !merging) {
                    // Past the point of no return: finish the operation instead (every step is safe to repeat).
                    LOG.warn("{} {}: step {} failed ({}) after a step that cannot be undone; completing the operation",
                            plan.operation(), domain, i + 1, e.toString());
                    try {
                        recover(journal);
                    } catch (RuntimeException r) {
                        e.addSuppressed(r);
                        throw new IllegalStateException("the " + plan.operation().name().toLowerCase() + " of domain '"
                                + domain + "' failed half-way and could not be completed; its journal is kept: run"
                                + " recover once the cause (" + e.getMessage() + ") is fixed", e);
                    }
                    throw e;
                }
                if (merging) {
                    LOG.warn("{} {}: step {} failed or was cancelled during merges ({}); removing the snapshots being"
                            + " merged so that none is left with wrong content", plan.operation(), domain, i + 1,
                            e.toString());
                    boolean consistent = true;
                    if (!(step instanceof Step.Merge)) {
                        // The disk whose merge completed is made consistent first: the rest of its steps run.
                        for (int j = i; j < steps.size() && !(steps.get(j) instanceof Step.Merge)
                                && !(steps.get(j) instanceof Step.RemoveSnapshot); j++) {
                            try {
                                apply(steps.get(j), true);
                            } catch (RuntimeException a) {
                                e.addSuppressed(a);
                                consistent = false;
                                break;
                            }
                        }
                    }
                    for (Step s : plan.onAbort()) {
                        try {
                            apply(s, true);
                        } catch (RuntimeException a) {
                            e.addSuppressed(a);
                            consistent = false;
                        }
                    }
                    if (consistent) {
                        sink.clear();
                    }
                    throw e;
                }
                LOG.debug("{} {}: step {} failed ({}); undoing {} steps", plan.operation(), domain, i + 1, e.toString(),
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
                    sink.clear();
                }
                throw e;
            }
        }
        sink.clear();
    }

    /**
     * @return the indexes of the merges that follow one another from {@code first} (each followed by its disk's
     *         steps), then the index after the last of those steps
     */
    private static List<Integer> mergesFrom(List<Step> steps, int first) {
        List<Integer> out = new java.util.ArrayList<>();
        int j = first;
        while (j < steps.size() && steps.get(j) instanceof Step.Merge) {
            out.add(j++);
            while (j < steps.size() && !(steps.get(j) instanceof Step.Merge) && !(steps.get(j) instanceof Step.RemoveSnapshot)) {
                j++;
            }
        }
        out.add(j); // the end, exclusive
        return out;
    }

    /**
     * Runs several disks' merges at once (one thread each; libvirt's connection and QEMU take them in parallel:
     * live, one block job per disk, each pivoted and finished on its own disk's events; offline, one commit per
     * disk), then the steps of each disk whose merge completed. A merge that fails does not stop the others (their
     * disks are made consistent); cancellation reaches all of them. The first failure is rethrown after that.
     *
     * @param batch the merges' indexes, then the index after the last disk's steps
     * @return the index of the last step run
     */
    private int runTogether(OperationPlan plan, List<Integer> batch) {
        List<Step> steps = plan.steps();
        List<Integer> merges = batch.subList(0, batch.size() - 1);
        int end = batch.get(batch.size() - 1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(merges.size(), r -> {
            Thread t = new Thread(r, "esm-merge-" + domain);
            t.setDaemon(true);
            return t;
        });
        Map<Integer, java.util.concurrent.Future<?>> running = new LinkedHashMap<>();
        for (int k : merges) {
            Step.Merge m = (Step.Merge) steps.get(k);
            LOG.debug("{} {}: step {}/{}: {}", plan.operation(), domain, k + 1, steps.size(), m.describe());
            running.put(k, pool.submit(() -> merge(m, false)));
        }
        RuntimeException failure = null;
        java.util.Set<Integer> merged = new java.util.HashSet<>();
        for (Map.Entry<Integer, java.util.concurrent.Future<?>> f : running.entrySet()) {
            while (true) {
                try {
                    f.getValue().get();
                    merged.add(f.getKey());
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    RuntimeException r = e.getCause() instanceof RuntimeException re ? re
                            : new IllegalStateException(e.getCause());
                    if (failure == null) {
                        failure = r;
                    } else {
                        failure.addSuppressed(r);
                    }
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
                try {
                    if (failure == null) {
                        listener.beforeStep(plan, j, steps.get(j));
                    }
                    apply(steps.get(j), failure != null);
                    if (failure == null) {
                        // Steps before j are done: this disk's, and the merges (not yet the steps) of the disks after.
                        // A recovery repeats those merges (their images are untouched until their own steps run).
                        journal = journal.done(j);
                        sink.write(journal);
                    }
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                    apply(steps.get(j), true); // the disk is made consistent before the abort
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return end - 1;
    }

    /**
     * Finishes or undoes an operation a stopped process left. Undone when the steps taken (and the one that may
     * have been under way) only created files; completed otherwise, repeating the step that was under way.
     *
     * @return whether it was completed (true) or undone (false)
     */
    public boolean recover(Journal found) {
        journal = found;
        List<Step> steps = found.steps();
        int last = Math.min(found.next(), steps.size() - 1);
        boolean onlyFiles = steps.subList(0, last + 1).stream().allMatch(Executor::createsFilesOnly);
        if (onlyFiles) {
            LOG.info("{}: undoing an unfinished {} (only files had been created)", domain, found.operation());
            for (int i = last; i >= 0; i--) {
                Step s = steps.get(i);
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
            sink.clear();
            return false;
        }
        LOG.info("{}: completing an unfinished {} from step {}", domain, found.operation(), found.next() + 1);
        for (int i = found.next(); i < steps.size(); i++) {
            try {
                apply(steps.get(i), true);
            } catch (RuntimeException e) {
                if (steps.get(i) instanceof Step.Merge || steps.subList(0, i).stream().anyMatch(s -> s instanceof Step.Merge)) {
                    LOG.warn("{}: a merge cannot be completed ({}); removing the snapshots being merged", domain,
                            e.toString());
                    for (Step s : found.onAbort()) {
                        apply(s, true);
                    }
                    sink.clear();
                    return true;
                }
                throw e;
            }
            journal = journal.done(i);
            sink.write(journal);
        }
        sink.clear();
        return true;
    }

    private static boolean createsFilesOnly(Step s) {
        return s instanceof Step.CreateOverlay || s instanceof Step.MoveImage || s instanceof Step.MakeDirectory;
    }

    /**
     * Runs one step. With {@code again}, the step may have run (wholly or partly) before: it then finishes what
     * is missing and skips what is done.
     *
     * @return how to undo it, or null
     */
    private Runnable apply(Step step, boolean again) {
        if (step instanceof Step.StopDomain) {
            if (!again || host.state(domain).isActive()) {
                host.stopDomain(domain);
            }
            return null;
        } else if (step instanceof Step.MakeDirectory s) {
            if (storage.exists(s.path())) {
                return null;
            }
            storage.makeDirectory(s.path());
            return () -> storage.remove(s.path());
        } else if (step instanceof Step.MoveImage s) {
            if (again && storage.exists(s.to())) {
                if (!storage.exists(s.from())) {
                    return null; // moved, and the original name already removed
                }
                storage.remove(s.to()); // a copy may be partial: make it again
            }
            storage.place(s.from(), s.to());
            return () -> storage.remove(s.to());
        } else if (step instanceof Step.CreateOverlay s) {
            if (again && storage.exists(s.path())) {
                try {
                    if (storage.info(s.path(), ImageFormat.QCOW2).backing().equals(Optional.of(s.backing().path()))) {
                        return null;
                    }
                } catch (RuntimeException partial) {
                    LOG.debug("{} is not a finished overlay ({}); making it again", s.path(), partial.toString());
                }
                storage.remove(s.path());
            }
            storage.createOverlay(s.path(), s.backing());
            return () -> storage.remove(s.path());
        } else if (step instanceof Step.CreateSnapshot s) {
            if (again && host.snapshotXmls(domain).stream().anyMatch(x -> SnapshotXml.parse(x).name().equals(s.name()))) {
                return null;
            }
            Set<SnapshotFlag> flags = EnumSet.of(SnapshotFlag.REUSE_EXTERNAL, SnapshotFlag.ATOMIC);
            if (s.memoryFile().isEmpty()) {
                flags.add(SnapshotFlag.DISK_ONLY);
            }
            if (s.quiesce()) {
                flags.add(SnapshotFlag.QUIESCE);
            }
            try {
                host.createSnapshot(domain, s.xml(), flags);
            } catch (RuntimeException e) {
                // libvirt removes a memory file it could not finish; a partial one left anyway must not stay.
                s.memoryFile().filter(storage::exists).ifPresent(m -> {
                    try {
                        storage.remove(m);
                    } catch (RuntimeException r) {
                        e.addSuppressed(r);
                    }
                });
                throw e;
            }
            return null;
        } else if (step instanceof Step.DefineDomain s) {
            String before = host.domainXml(domain, false);
            host.defineDomain(DomainXml.rewrite(before, s.sources(), s.record()));
            return () -> host.defineDomain(before);
        } else if (step instanceof Step.SetCurrent s) {
            host.redefineSnapshot(domain, host.snapshotXml(domain, s.name()), true);
            return null;
        } else if (step instanceof Step.ClearCurrent s) {
            clearCurrent(s, again);
            return null;
        } else if (step instanceof Step.Merge s) {
            merge(s, again);
            return null;
        } else if (step instanceof Step.Rebase s) {
            storage.rebase(s.image(), s.newBacking());
            return null;
        } else if (step instanceof Step.RewriteSnapshotImages s) {
            host.redefineSnapshot(domain, SnapshotXml.withImages(host.snapshotXml(domain, s.name()), s.images()), false);
            return null;
        } else if (step instanceof Step.RemoveSnapshot s) {
            removeSnapshot(s.name(), again);
            return null;
        } else if (step instanceof Step.RemoveFile s) {
            storage.remove(s.path());
            return null;
        } else if (step instanceof Step.RestoreMemory s) {
            restoreMemory(s, again);
            return null;
        } else if (step instanceof Step.StartDomain) {
            if (!again || !host.state(domain).isActive()) {
                host.startDomain(domain);
            }
            return null;
        }
        throw new IllegalStateException("unknown step " + step);
    }

    /**
     * Starts the domain from a memory file on the fresh overlays. The domain definition saved in the file is used
     * with every snapshotted disk pointed at its new overlay, and checked before the call: a restore onto the
     * frozen images would let the guest write into the snapshot. Repeated (recovery), a domain that runs already
     * was restored; a restore that fails again leaves the domain shut off on the snapshot's disks.
     */
    private void restoreMemory(Step.RestoreMemory s, boolean again) {
        if (again && host.state(domain).isActive()) {
            return;
        }
        try {
            String saved = host.savedDomainXml(s.memoryFile());
            String dxml = DomainXml.rewrite(saved, s.sources(), Optional.empty());
            java.util.Set<String> overlays = new java.util.HashSet<>();
            s.sources().values().forEach(i -> overlays.add(i.path()));
            for (var disk : DomainXml.parse(dxml).eligibleDisks()) {
                if (disk.source().filter(overlays::contains).isEmpty()) {
                    throw new dev.esm.api.errors.InvalidOperationException("the memory of '" + s.snapshot()
                            + "' was saved with disk " + disk.target() + " (" + disk.source().orElse("no source")
                            + "), which has no fresh overlay in this revert; the domain is left shut off on the"
                            + " snapshot's disks: revert without running()/paused()");
                }
            }
            host.restore(domain, s.memoryFile(), dxml, s.paused());
        } catch (RuntimeException e) {
            if (!again) {
                throw e;
            }
            LOG.warn("{}: restoring the memory of '{}' from {} failed again ({}); the domain stays shut off on the"
                    + " snapshot's disks", domain, s.snapshot(), s.memoryFile(), e.toString());
        }
    }

    private void merge(Step.Merge s, boolean again) {
        if (again) {
            if (!storage.exists(s.top().path())) {
                return; // merged and removed already
            }
            if (s.live() && host.state(domain) != DomainState.SHUTOFF
                    && !DomainXml.chain(host.domainXml(domain, true), s.disk()).contains(s.top().path())) {
                LOG.debug("{} is out of {}'s chain: its merge finished", s.top().path(), s.disk());
                return;
            }
        }
        if (s.live() && (!again || host.state(domain) != DomainState.SHUTOFF)) {
            host.blockCommit(domain, s.disk(), s.base().path(), s.top().path(), s.activeLayer(), progress, cancel);
        } else {
            storage.commit(s.top().path(), s.base().path(), s.disk(), progress, cancel);
        }
        LOG.info("{}: merged {} into {}", domain, s.top().path(), s.base().path());
    }

    /**
     * Makes libvirt say no snapshot is current: libvirt has no call for it, and removing a current snapshot's
     * metadata makes its parent current; so a root snapshot is made current, its metadata removed (none is
     * current then) and put back with its children's. Their metadata is saved in the journal first.
     */
    private void clearCurrent(Step.ClearCurrent s, boolean again) {
        Map<String, String> saved = new LinkedHashMap<>(again ? journal.saved() : Map.of());
        if (saved.isEmpty()) {
            saved.put(s.root(), host.snapshotXml(domain, s.root()));
            for (String c : s.rootChildren()) {
                saved.put(c, host.snapshotXml(domain, c));
            }
            journal = journal.saving(saved);
            sink.write(journal);
        }
        boolean exists = host.snapshotXmls(domain).stream().anyMatch(x -> SnapshotXml.parse(x).name().equals(s.root()));
        if (exists) {
            host.redefineSnapshot(domain, saved.get(s.root()), true);
            host.deleteSnapshotMetadata(domain, s.root());
        }
        host.redefineSnapshot(domain, saved.get(s.root()), false);
        for (String c : s.rootChildren()) {
            host.redefineSnapshot(domain, saved.get(c), false);
        }
    }

    /**
     * Removes a snapshot's metadata and gives its children its parent. libvirt re-parents the children itself;
     * 9.0 also rewrites their saved disk sources to the removed snapshot's, as if its data had been merged down,
     * and 11.3 does not. ESM merges the other way, so it puts the children's own definitions back (saved in the
     * journal first) whatever the version did: right on both without asking which.
     */
    private void removeSnapshot(String name, boolean again) {
        Map<String, String> saved = new LinkedHashMap<>(again ? journal.saved() : Map.of());
        // One read of the snapshots answers both questions: does it exist, and who are its children.
        List<dev.esm.core.model.SnapshotDefinition> all = host.snapshotXmls(domain).stream().map(SnapshotXml::parse)
                .toList();
        Optional<dev.esm.core.model.SnapshotDefinition> self = all.stream().filter(d -> d.name().equals(name))
                .findFirst();
        if (saved.isEmpty()) {
            if (self.isEmpty()) {
                return;
            }
            Optional<String> parent = self.get().parent();
            for (var def : all) {
                if (def.parent().equals(Optional.of(name))) {
                    saved.put(def.name(), SnapshotXml.withParent(def.xml(), parent));
                }
            }
            journal = journal.saving(saved);
            sink.write(journal);
        }
        if (self.isPresent()) {
            host.deleteSnapshotMetadata(domain, name);
        }
        for (String child : saved.values()) {
            host.redefineSnapshot(domain, child, false);
        }
    }

}
