package dev.esm.core.engine;

import dev.esm.api.Operation;
import dev.esm.api.SetupCommand;
import dev.esm.api.SnapshotChain;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.SetupPlanner;

/** {@link SetupCommand}: moves the domain's images into a folder and freezes them as the base. Single-use. */
final class CoreSetupCommand extends AbstractCommand<SnapshotChain> implements SetupCommand {
    private final String directory;

    CoreSetupCommand(DomainContext ctx, String directory) {
        super(ctx);
        this.directory = directory;
    }

    @Override
    Operation operation() {
        return Operation.SETUP;
    }

    @Override
    String target() {
        return "";
    }

    @Override
    OperationPlan planFor(DomainView v) {
        return SetupPlanner.setup(v, directory, existsForPlanning(v), ctx.clock.instant(), ctx.views.setupFacts(v));
    }

    @Override
    SnapshotChain result(OperationPlan plan, DomainView before) {
        return ctx.views.view().tree();
    }
}
