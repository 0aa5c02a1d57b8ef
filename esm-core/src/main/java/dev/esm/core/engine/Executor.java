package dev.esm.core.engine;

import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Step;
import dev.esm.core.port.Host;
import dev.esm.core.port.SnapshotFlag;
import dev.esm.core.port.Storage;
import dev.esm.core.xml.DomainXml;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a plan's steps in order through the port. When a step fails, the steps already taken are undone in
 * reverse order (overlays and copies removed, the previous definition restored), then the failure is
 * rethrown; steps that cannot be undone come last in every plan (removals, start). Not thread-safe: one
 * executor runs one plan.
 */
public final class Executor {
    private static final Logger LOG = LoggerFactory.getLogger(Executor.class);

    private final Host host;
    private final Storage storage;
    private final String domain;
    private final StepListener listener;
    private final dev.esm.api.ProgressListener progress;
    private final dev.esm.core.port.Cancellation cancel;

    /** Observes steps; the fault-injection seam of the tests. */
    public interface StepListener {
        /** Called before step {@code index} (0-based) runs; throwing fails the plan at that point. */
        void beforeStep(OperationPlan plan, int index, Step step);
    }

    /** @param listener observes steps; use {@code (p, i, s) -> {}} for none */
    public Executor(Host host, String domain, StepListener listener) {
        this(host, domain, listener, dev.esm.api.ProgressListener.NONE, dev.esm.core.port.Cancellation.none());
    }

    /**
     * @param listener observes steps
     * @param progress receives merge progress
     * @param cancel polled between steps and during merges
     */
    public Executor(Host host, String domain, StepListener listener, dev.esm.api.ProgressListener progress,
                    dev.esm.core.port.Cancellation cancel) {
        this.host = host;
        this.storage = host.storage();
        this.domain = domain;
        this.listener = listener;
        this.progress = progress;
        this.cancel = cancel;
    }

    /**
     * Runs every step of the plan, or none (as far as undo can reach). Once a merge has started, a failure or a
     * cancellation cannot be undone (the merge may have written into its base): the plan's abort steps run
     * instead (the snapshots being removed are removed, so none is left with wrong content), then the failure
     * is rethrown.
     */
    public void run(OperationPlan plan) {
        Deque<Runnable> undo = new ArrayDeque<>();
        List<Step> steps = plan.steps();
        boolean merging = false;
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            try {
                if (i == 0 || step instanceof Step.Merge) {
                    // Cancellation is honoured before the first step and before each merge; once a merge has
                    // completed, the steps that make the disk consistent again always run.
                    cancel.check(plan.operation().name().toLowerCase() + " of domain '" + domain + "'");
                }
                if (step instanceof Step.Merge) {
                    merging = true;
                }
                listener.beforeStep(plan, i, step);
                LOG.debug("{} {}: step {}/{}: {}", plan.operation(), domain, i + 1, steps.size(), step.describe());
                Runnable u = apply(step);
                if (u != null) {
                    undo.push(u);
                }
            } catch (RuntimeException e) {
                if (merging) {
                    LOG.warn("{} {}: step {} failed or was cancelled during merges ({}); removing the snapshots being"
                            + " merged so that none is left with wrong content", plan.operation(), domain, i + 1,
                            e.toString());
                    for (Step s : plan.onAbort()) {
                        try {
                            apply(s);
                        } catch (RuntimeException a) {
                            e.addSuppressed(a);
                        }
                    }
                    throw e;
                }
                LOG.debug("{} {}: step {} failed ({}); undoing {} steps", plan.operation(), domain, i + 1, e.toString(),
                        undo.size());
                while (!undo.isEmpty()) {
                    try {
                        undo.pop().run();
                    } catch (RuntimeException u) {
                        LOG.warn("{} {}: undoing a step failed: {}", plan.operation(), domain, u.toString());
                        e.addSuppressed(u);
                    }
                }
                throw e;
            }
        }
    }

    /**
     * Removes a snapshot's metadata and gives its children its parent. libvirt (9.0) re-parents the children
     * itself but also rewrites their saved disk sources to the removed snapshot's, as if its data had been
     * merged down; ESM merges the other way, so it puts the children's own definitions back.
     */
    private void removeSnapshot(String name) {
        java.util.Optional<String> parent = dev.esm.core.xml.SnapshotXml.parse(host.snapshotXml(domain, name)).parent();
        List<String> children = host.snapshotXmls(domain).stream()
                .filter(x -> dev.esm.core.xml.SnapshotXml.parse(x).parent().equals(java.util.Optional.of(name)))
                .toList();
        host.deleteSnapshotMetadata(domain, name);
        for (String child : children) {
            host.redefineSnapshot(domain, dev.esm.core.xml.SnapshotXml.withParent(child, parent), false);
        }
    }

    private Runnable apply(Step step) {
        if (step instanceof Step.StopDomain) {
            host.stopDomain(domain);
            return null;
        } else if (step instanceof Step.MakeDirectory s) {
            if (storage.exists(s.path())) {
                return null;
            }
            storage.makeDirectory(s.path());
            return () -> storage.remove(s.path());
        } else if (step instanceof Step.MoveImage s) {
            storage.place(s.from(), s.to());
            return () -> storage.remove(s.to());
        } else if (step instanceof Step.CreateOverlay s) {
            storage.createOverlay(s.path(), s.backing());
            return () -> storage.remove(s.path());
        } else if (step instanceof Step.CreateSnapshot s) {
            Set<SnapshotFlag> flags = EnumSet.of(SnapshotFlag.DISK_ONLY, SnapshotFlag.REUSE_EXTERNAL, SnapshotFlag.ATOMIC);
            if (s.quiesce()) {
                flags.add(SnapshotFlag.QUIESCE);
            }
            host.createSnapshot(domain, s.xml(), flags);
            return null;
        } else if (step instanceof Step.DefineDomain s) {
            String before = host.domainXml(domain, false);
            host.defineDomain(DomainXml.rewrite(before, s.sources(), s.record()));
            return () -> host.defineDomain(before);
        } else if (step instanceof Step.SetCurrent s) {
            host.redefineSnapshot(domain, host.snapshotXml(domain, s.name()), true);
            return null;
        } else if (step instanceof Step.ClearCurrent s) {
            String root = host.snapshotXml(domain, s.root());
            List<String> children = s.rootChildren().stream().map(c -> host.snapshotXml(domain, c)).toList();
            host.redefineSnapshot(domain, root, true);
            host.deleteSnapshotMetadata(domain, s.root());
            host.redefineSnapshot(domain, root, false);
            for (String child : children) {
                host.redefineSnapshot(domain, child, false);
            }
            return null;
        } else if (step instanceof Step.Merge s) {
            if (s.live()) {
                host.blockCommit(domain, s.disk(), s.base().path(), s.top().path(), s.activeLayer(), progress, cancel);
            } else {
                storage.commit(s.top().path(), s.base().path(), s.disk(), progress, cancel);
            }
            LOG.info("{}: merged {} into {}", domain, s.top().path(), s.base().path());
            return null;
        } else if (step instanceof Step.Rebase s) {
            storage.rebase(s.image(), s.newBacking());
            return null;
        } else if (step instanceof Step.RewriteSnapshotImages s) {
            host.redefineSnapshot(domain, dev.esm.core.xml.SnapshotXml.withImages(host.snapshotXml(domain, s.name()),
                    s.images()), false);
            return null;
        } else if (step instanceof Step.RemoveSnapshot s) {
            removeSnapshot(s.name());
            return null;
        } else if (step instanceof Step.RemoveFile s) {
            storage.remove(s.path());
            return null;
        } else if (step instanceof Step.StartDomain) {
            host.startDomain(domain);
            return null;
        }
        throw new IllegalStateException("unknown step " + step);
    }
}
