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
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs single steps through the port: what each {@link Step} kind means, how it is undone, and how it finishes
 * when it runs again after a stop (every step is safe to repeat). {@link Executor} decides the order and what
 * happens on failure. The kinds that take more than a few lines have a class each: a disk's merge
 * ({@link DiskMerge}), a disk's pull ({@link ChainPull}), a restore from a memory file ({@link MemoryRestore}), a snapshot's metadata removed or no
 * snapshot made current ({@link SnapshotRemoval}). Thread-safe as far as the port is: merges of different disks run
 * through it at once.
 *
 * <p>Threads: steps run on the thread that calls them ({@link Executor} and {@link ParallelMerges} choose: the calling
 * thread or the manager's executor); the one task of its own, a restore prepared ahead ({@link #prepareRestoreAhead}),
 * runs on the manager's executor ({@link dev.esm.api.Settings#executor()}) and is awaited by {@link #awaitAhead}. No
 * thread of its own.
 */
final class StepRunner {
    /** The undo of a step that changed nothing a user sees (not null, which marks a step that cannot be undone). */
    private static final Runnable NOTHING_TO_UNDO = () -> { };
    /** Also the logger of the step kinds' own classes, which log as the step runner. */
    private static final Logger LOG = LoggerFactory.getLogger(StepRunner.class);

    private final Host host;
    private final Storage storage;
    private final String domain;
    private final DiskMerge merges;
    private final ChainPull pulls;
    private final MemoryRestore restores;
    private final SnapshotRemoval removals;
    /**
     * The domain as read for planning, when the plan's steps may take its persistent definition and snapshot XMLs
     * from there instead of reading them again (see {@link #readAtPlanning}); null otherwise, and never used by a
     * step run again in recovery.
     */
    private dev.esm.core.plan.DomainView planned;

    /** @param workers the manager's executor, for the restore prepared ahead */
    StepRunner(Host host, String domain, ProgressListener progress, Cancellation cancel, JournalKeeper journal,
               java.util.concurrent.ExecutorService workers) {
        this.host = host;
        this.storage = host.storage();
        this.domain = domain;
        this.merges = new DiskMerge(host, domain, progress, cancel, LOG);
        this.pulls = new ChainPull(host, domain, progress, cancel, LOG);
        this.restores = new MemoryRestore(host, domain, workers, LOG);
        this.removals = new SnapshotRemoval(host, domain, journal, LOG);
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
            if (s.pulledLater()) {
                storage.createPullableOverlay(s.path(), s.backing());
            } else {
                storage.createOverlay(s.path(), s.backing());
            }
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
            removals.clearCurrent(s, again);
            return null;
        } else if (step instanceof Step.Merge s) {
            merge(s, again);
            return null;
        } else if (step instanceof Step.Pull s) {
            pulls.pull(s, again);
            return NOTHING_TO_UNDO; // the image shows what it showed: a failure after it still undoes the plan
        } else if (step instanceof Step.Rebase s) {
            storage.rebase(s.image(), s.newBacking());
            return null;
        } else if (step instanceof Step.RewriteSnapshotImages s) {
            if (!again && removals.takeOver(s)) {
                return null; // the coming removal of its parent redefines it (see SnapshotRemoval#takeOver)
            }
            host.redefineSnapshot(domain, SnapshotXml.withImages(host.snapshotXml(domain, s.name()), s.images()), false);
            return null;
        } else if (step instanceof Step.RemoveSnapshot s) {
            removals.removeSnapshot(s.name(), again);
            return null;
        } else if (step instanceof Step.RemoveFile s) {
            storage.remove(s.path());
            return null;
        } else if (step instanceof Step.RestoreMemory s) {
            restores.restore(s, again);
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

    /**
     * Lets the snapshot removals of a delete or commit take which snapshots are children of which from the complete
     * view the plan was made from (see {@link SnapshotRemoval#knowParents}), and take over the rewrites of the images
     * of the children they re-parent ({@link SnapshotRemoval#takeOver}); steps run again still read them.
     */
    void knowParents(dev.esm.core.plan.DomainView view, java.util.List<Step> steps) {
        removals.knowParents(view, steps);
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
     * Starts preparing a restore's definition as a task of the manager's executor, so that the restore does not wait
     * for it; see {@link MemoryRestore#prepareAhead}. {@link #awaitAhead} ends it.
     */
    void prepareRestoreAhead(Step.RestoreMemory s) {
        restores.prepareAhead(s);
    }

    /** Waits until a preparation ahead has ended, if one was started: no call to the host outlives the operation. */
    void awaitAhead() {
        restores.awaitAhead();
    }

    /** Runs a disk's merge (see {@link DiskMerge#merge}); the merges of several disks run through it at once. */
    void merge(Step.Merge s, boolean again) {
        merges.merge(s, again);
    }
}
