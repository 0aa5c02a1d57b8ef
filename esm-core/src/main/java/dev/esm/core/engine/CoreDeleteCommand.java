package dev.esm.core.engine;

import dev.esm.api.DeleteCommand;
import dev.esm.api.Operation;
import dev.esm.api.ProgressListener;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.MergePlanner;
import dev.esm.core.plan.OperationPlan;

/** {@link DeleteCommand}: removes a snapshot, merging its data where other snapshots need it. Single-use. */
final class CoreDeleteCommand extends MergingCommand implements DeleteCommand {
    private final String snapshot;

    CoreDeleteCommand(DomainContext ctx, String snapshot) {
        super(ctx);
        this.snapshot = snapshot;
    }

    @Override
    Operation operation() {
        return Operation.DELETE;
    }

    @Override
    String target() {
        return snapshot;
    }

    @Override
    OperationPlan planFor(DomainView v) {
        return MergePlanner.delete(v, snapshot);
    }

    @Override
    public DeleteCommand progress(ProgressListener listener) {
        setProgress(listener);
        return this;
    }
}
