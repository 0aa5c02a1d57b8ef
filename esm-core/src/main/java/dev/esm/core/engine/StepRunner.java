package dev.esm.core.engine;

import dev.esm.api.DomainState;
import dev.esm.api.ImageFormat;
import dev.esm.api.ProgressListener;
import dev.esm.core.plan.Step;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Host;
import dev.esm.core.port.SnapshotFlag;
import dev.esm.core.port.Storage;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.SnapshotXml;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs single steps through the port: what each {@link Step} kind means, how it is undone, and how it finishes
 * when it runs again after a stop (every step is safe to repeat). {@link Executor} decides the order and what
 * happens on failure. Thread-safe as far as the port is: merges of different disks run through it at once.
 *
 * <p>Threads: steps run on the thread that calls them ({@link Executor} and {@link ParallelMerges} choose: the calling
 * thread or the manager's executor); the one task of its own, a restore prepared ahead ({@link #prepareRestoreAhead}),
 * runs on the manager's executor ({@link dev.esm.api.Settings#executor()}) and is awaited by {@link #awaitAhead}. No
 * thread of its own.
 */
final class StepRunner {
    private static final Logger LOG = LoggerFactory.getLogger(StepRunner.class);

    private final Host host;
    private final Storage storage;
    private final String domain;
    private final ProgressListener progress;
    private final Cancellation cancel;
    private final JournalKeeper journal;
    /**
     * The domain as read for planning, when the plan's steps may take its persistent definition and snapshot XMLs
     * from there instead of reading them again (see {@link #readAtPlanning}); null otherwise, and never used by a
     * step run again in recovery.
     */
    private dev.esm.core.plan.DomainView planned;
    /** A restore's definition prepared ahead ({@link #prepareRestoreAhead}), and the step it is for. */
    private java.util.concurrent.CompletableFuture<String> restoreAhead;
    private Step.RestoreMemory restoreAheadFor;
    /** The manager's executor, for the restore prepared ahead. */
    private final java.util.concurrent.ExecutorService workers;

    StepRunner(Host host, String domain, ProgressListener progress, Cancellation cancel, JournalKeeper journal,
               java.util.concurrent.ExecutorService workers) {
        this.workers = workers;
        this.host = host;
        this.storage = host.storage();
        this.domain = domain;
        this.progress = progress;
        this.cancel = cancel;
        this.journal = journal;
    }

    /**
     * Runs one step. With {@code again}, the step may have run (wholly or partly) before: it then finishes what
     * is missing and skips what is done.
     *
     * @return how to undo it, or null
     */
    Runnable apply(Step step, boolean again) {
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
            String before = !again && planned != null ? planned.persistent().xml() : host.domainXml(domain, false);
            host.defineDomain(DomainXml.rewrite(before, s.sources(), s.record()));
            return () -> host.defineDomain(before);
        } else if (step instanceof Step.SetCurrent s) {
            host.redefineSnapshot(domain, snapshotXml(s.name(), again), true);
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
        } else if (step instanceof Step.PauseDomain) {
            if (host.state(domain) == DomainState.RUNNING) {
                host.suspendDomain(domain);
            }
            return () -> {
                if (host.state(domain) == DomainState.PAUSED) {
                    host.resumeDomain(domain);
                }
            };
        } else if (step instanceof Step.ResumeDomain) {
            if (host.state(domain) == DomainState.PAUSED) {
                host.resumeDomain(domain);
            }
            return null;
        } else if (step instanceof Step.SaveFirmware s) {
            storage.copy(s.vars(), s.copy());
            return () -> storage.remove(s.copy());
        } else if (step instanceof Step.RestoreFirmware s) {
            storage.copy(s.copy(), s.vars());
            return null;
        } else if (step instanceof Step.SaveTpmState s) {
            storage.copy(s.state(), s.copy());
            return () -> storage.remove(s.copy());
        } else if (step instanceof Step.RestoreTpmState s) {
            storage.copy(s.copy(), s.state()); // keeps the state file's owner, group and mode: swtpm's
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
     * Lets the steps of a plan take the domain's persistent definition and snapshot XMLs from the view it was
     * planned from instead of reading them again (one call for a definition, two for a snapshot). Only for a plan in
     * which no step before those that read them changes them (a revert's or refresh's: overlays made, the domain
     * stopped, which leaves its persistent definition as it is): ESM holds the domain's lock meanwhile, and a
     * definition carries the journal element of its time, which the port replaces with the newest when it defines.
     */
    void readAtPlanning(dev.esm.core.plan.DomainView view) {
        this.planned = view;
    }

    /** @return a snapshot's XML: as read for planning when that may be used, else read now */
    private String snapshotXml(String name, boolean again) {
        if (!again && planned != null) {
            for (var d : planned.snapshots()) {
                if (d.name().equals(name)) {
                    return d.xml();
                }
            }
        }
        return host.snapshotXml(domain, name);
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
            host.restore(domain, s.memoryFile(), restoreXml(s), s.paused());
        } catch (RuntimeException e) {
            if (!again) {
                throw e;
            }
            LOG.warn("{}: restoring the memory of '{}' from {} failed again ({}); the domain stays shut off on the"
                    + " snapshot's disks", domain, s.snapshot(), s.memoryFile(), e.toString());
        }
    }

    /** @return the restore's definition, prepared ahead if {@link #prepareRestoreAhead} was, else prepared now */
    private String restoreXml(Step.RestoreMemory s) {
        if (restoreAhead != null && s.equals(restoreAheadFor)) {
            try {
                return restoreAhead.join();
            } catch (RuntimeException e) {
                LOG.debug("preparing the restore of {} ahead failed ({}); preparing it again", s.memoryFile(),
                        e.toString());
            }
        }
        return prepareRestoreXml(s);
    }

    /**
     * The definition saved in the memory file with every snapshotted disk pointed at its new overlay, and checked:
     * a restore onto the frozen images would let the guest write into the snapshot.
     */
    private String prepareRestoreXml(Step.RestoreMemory s) {
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
        return dxml;
    }

    /**
     * Starts preparing a restore's definition ({@link #prepareRestoreXml}: the definition saved in the memory file
     * read through libvirt, its disks pointed at the new overlays, checked) as a task of the manager's executor, so
     * that the restore does not wait for it: the steps before it (the overlays, and the power-off, in which libvirt
     * waits 200 ms for QEMU to go) run meanwhile. The memory file is only read and nothing else depends on the
     * result; the restore prepares it again itself if this failed (or the executor refused the task), so that its own
     * thread reports the error at the same step. {@link #awaitAhead} ends it.
     */
    void prepareRestoreAhead(Step.RestoreMemory s) {
        java.util.concurrent.CompletableFuture<String> ahead = new java.util.concurrent.CompletableFuture<>();
        restoreAhead = ahead;
        restoreAheadFor = s;
        try {
            workers.execute(() -> {
                try {
                    ahead.complete(prepareRestoreXml(s));
                } catch (RuntimeException e) {
                    ahead.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            ahead.completeExceptionally(e); // the restore prepares it itself
        }
    }

    /** Waits until a preparation ahead has ended, if one was started: no call to the host outlives the operation. */
    void awaitAhead() {
        if (restoreAhead != null) {
            try {
                restoreAhead.join();
            } catch (RuntimeException ignored) {
                // the restore prepared it itself, or never came
            }
            restoreAhead = null;
            restoreAheadFor = null;
        }
    }

    void merge(Step.Merge s, boolean again) {
        if (again) {
            if (!storage.exists(s.top().path())) {
                return; // merged and removed already
            }
            if (s.live() && host.state(domain) != DomainState.SHUTOFF
                    && !DomainXml.chain(host.domainXml(domain, true), s.disk()).contains(s.top().path())) {
                LOG.debug("{} is out of {}'s chain: its merge finished", s.top().path(), s.disk());
                return;
            }
            if (s.live() && host.state(domain) == DomainState.SHUTOFF && !inStoredChain(s)) {
                // Shut off since: the images' headers tell whether the block job finished.
                LOG.debug("{} is out of {}'s chain in the image headers: its merge finished", s.top().path(), s.disk());
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
     * Whether a live merge's top is still in its disk's chain as the image headers give it, from the disk's image in
     * the domain's definition down to the merge's base: a finished block job left the image above the top (or, after
     * a pivot and the new definition, the domain) standing on the base. A chain that cannot be read counts as not
     * merged (the merge then runs offline, as before).
     */
    private boolean inStoredChain(Step.Merge s) {
        try {
            Optional<String> p = DomainXml.parse(host.domainXml(domain, false)).disk(s.disk())
                    .flatMap(dev.esm.core.model.DiskDef::source);
            for (int depth = 0; p.isPresent() && depth < 10_000; depth++) {
                if (p.get().equals(s.top().path())) {
                    return true;
                }
                if (p.get().equals(s.base().path())) {
                    return false;
                }
                p = storage.info(p.get(), ImageFormat.QCOW2).backing();
            }
            return false;
        } catch (RuntimeException unreadable) {
            LOG.debug("the chain of {} cannot be read ({}); merging again", s.disk(), unreadable.toString());
            return true;
        }
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
            journal.saving(saved);
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
            journal.saving(saved);
        }
        if (self.isPresent()) {
            host.deleteSnapshotMetadata(domain, name);
        }
        for (String child : saved.values()) {
            host.redefineSnapshot(domain, child, false);
        }
    }

}
