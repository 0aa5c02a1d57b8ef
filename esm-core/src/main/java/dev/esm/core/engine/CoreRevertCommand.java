package dev.esm.core.engine;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Operation;
import dev.esm.api.RevertCommand;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotName;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.SnapshotNotFoundException;
import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.RevertPlanner;
import dev.esm.core.xml.SnapshotXml;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * {@link RevertCommand} for revert (to a named snapshot or the base) and refresh (to the current snapshot):
 * fresh overlays on the snapshot's frozen images, optionally a restore of its memory. Single-use.
 */
final class CoreRevertCommand extends AbstractCommand<Snapshot> implements RevertCommand {
    private final String to;
    private final boolean refresh;
    private boolean stopIfRunning;
    private boolean start;
    private RevertPlanner.Resume resume = RevertPlanner.Resume.NO;

    /**
     * @param to the snapshot to revert to; ignored for a refresh
     * @param refresh whether this is a refresh (to the current snapshot)
     */
    CoreRevertCommand(DomainContext ctx, String to, boolean refresh) {
        super(ctx);
        this.to = refresh ? null : to;
        this.refresh = refresh;
    }

    @Override
    Operation operation() {
        return refresh ? Operation.REFRESH : Operation.REVERT;
    }

    @Override
    String target() {
        return refresh || to == null ? "" : to;
    }

    /**
     * A revert to a snapshot reads only that snapshot and the current one, so its cost does not grow with the
     * tree; a revert to the base (which may have to clear libvirt's current snapshot through a root) and a domain
     * with unnamed images read everything.
     */
    @Override
    DomainView read() {
        DomainView v = readSnapshots();
        // The chains of the target's frozen images, when they may be too deep for a new overlay (ChainReads).
        Optional<Snapshot> target;
        try {
            target = refresh ? v.tree().current() : v.tree().find(to);
        } catch (RuntimeException unknown) {
            target = Optional.empty(); // the planner names what is wrong
        }
        return target.map(t -> v.withDepths(ctx.chains.read(v, t.images(), 1, 0))).orElse(v);
    }

    private DomainView readSnapshots() {
        DomainView bare = ctx.views.bare();
        if ((refresh || !DomainSnapshots.BASE.equals(to))
                && bare.persistent().record().map(r -> r.unnamed().isEmpty()).orElse(false)) {
            // The current snapshot's XML comes with its name (one read); the target is read unless it is the same.
            Optional<SnapshotDefinition> currentDef = ctx.host.currentSnapshotXml(ctx.name).map(SnapshotXml::parse);
            Optional<String> current = currentDef.map(SnapshotDefinition::name);
            List<SnapshotDefinition> few = new ArrayList<>();
            currentDef.ifPresent(few::add);
            try {
                if (!refresh && to != null && SnapshotName.problem(to) == null && !current.equals(Optional.of(to))) {
                    few.add(SnapshotXml.parse(ctx.host.snapshotXml(ctx.name, to)));
                }
                return Views.with(bare, few, current);
            } catch (SnapshotNotFoundException absent) {
                // read everything, so that the planner's error names the snapshots there are
            }
        }
        DomainView v = ctx.views.complete(bare);
        return Views.hasUnnamed(v) ? ctx.views.graphed(v, false) : v;
    }

    @Override
    OperationPlan planFor(DomainView v) {
        String target = refresh
                ? v.tree().current().map(Snapshot::name).orElseThrow(() -> new InvalidOperationException("domain '"
                        + ctx.name + "' has no current snapshot and no frozen base: nothing to refresh to; take a"
                        + " snapshot or run setup first"))
                : to;
        // A memory file is written by libvirt, behind a storage's back: its existence is asked for for real (as that of
        // the firmware state files and their copies).
        Predicate<String> firmware = existsForPlanning(v);
        Predicate<String> exists = p -> p.endsWith(".memory")
                ? ctx.host.storage().existsCheaply(p) || ctx.host.storage().exists(p) : firmware.test(p);
        return RevertPlanner.revert(v, target, refresh, new RevertPlanner.RevertOptions(stopIfRunning, start, resume), exists,
                ctx.clock.instant());
    }

    @Override
    public RevertCommand stopIfRunning() {
        checkOpen();
        stopIfRunning = true;
        return this;
    }

    @Override
    public RevertCommand start() {
        checkOpen();
        start = true;
        return this;
    }

    @Override
    public RevertCommand running() {
        checkOpen();
        resume = RevertPlanner.Resume.RUNNING;
        return this;
    }

    @Override
    public RevertCommand paused() {
        checkOpen();
        resume = RevertPlanner.Resume.PAUSED;
        return this;
    }

    @Override
    Snapshot result(OperationPlan plan, DomainView before) {
        return before.tree().get(plan.target()); // a revert changes no snapshot
    }
}
