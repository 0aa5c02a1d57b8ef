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

    /** Observes steps; the fault-injection seam of the tests. */
    public interface StepListener {
        /** Called before step {@code index} (0-based) runs; throwing fails the plan at that point. */
        void beforeStep(OperationPlan plan, int index, Step step);
    }

    /** @param listener observes steps; use {@code (p, i, s) -> {}} for none */
    public Executor(Host host, String domain, StepListener listener) {
        this.host = host;
        this.storage = host.storage();
        this.domain = domain;
        this.listener = listener;
    }

    /** Runs every step of the plan, or none (as far as undo can reach). */
    public void run(OperationPlan plan) {
        Deque<Runnable> undo = new ArrayDeque<>();
        List<Step> steps = plan.steps();
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            try {
                listener.beforeStep(plan, i, step);
                LOG.debug("{} {}: step {}/{}: {}", plan.operation(), domain, i + 1, steps.size(), step.describe());
                Runnable u = apply(step);
                if (u != null) {
                    undo.push(u);
                }
            } catch (RuntimeException e) {
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
