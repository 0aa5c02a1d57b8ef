package dev.esm.core.engine;

import dev.esm.api.CreateCommand;
import dev.esm.api.Operation;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotName;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Planner;
import dev.esm.core.xml.SnapshotXml;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** {@link CreateCommand}: takes a snapshot of every eligible disk (and RAM, with {@link #memory()}). Single-use. */
final class CoreCreateCommand extends AbstractCommand<Snapshot> implements CreateCommand {
    private final String snapshot;
    private String description = "";
    private boolean quiesce;
    private boolean memory;

    CoreCreateCommand(DomainContext ctx, String snapshot) {
        super(ctx);
        SnapshotName.of(snapshot);
        this.snapshot = snapshot;
    }

    @Override
    Operation operation() {
        return Operation.CREATE;
    }

    @Override
    String target() {
        return snapshot;
    }

    @Override
    OperationPlan planFor(DomainView v) {
        return Planner.create(v, snapshot, description, quiesce, memory, existsForPlanning(v), ctx.clock.instant());
    }

    @Override
    public CreateCommand memory() {
        checkOpen();
        this.memory = true;
        return this;
    }

    @Override
    public CreateCommand description(String text) {
        checkOpen();
        this.description = Objects.requireNonNull(text, "text");
        return this;
    }

    @Override
    public CreateCommand quiesce() {
        checkOpen();
        this.quiesce = true;
        return this;
    }

    /**
     * Create needs no other snapshot than one of the same name, and the active images' chains only when they may be
     * too deep ({@link ChainReads}): its cost does not grow with the tree.
     */
    @Override
    DomainView read() {
        DomainView v = Views.with(ctx.views.bare(), ctx.views.snapshot(snapshot).map(List::of).orElse(List.of()),
                Optional.empty());
        return v.withDepths(ctx.chains.read(v, v.active().activeImages(), 1, 0));
    }

    @Override
    Snapshot result(OperationPlan plan, DomainView before) {
        return SnapshotXml.parse(ctx.host.snapshotXml(ctx.name, snapshot)).toApi();
    }
}
