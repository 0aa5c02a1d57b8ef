package dev.esm.core.engine;

import dev.esm.api.CommitCommand;
import dev.esm.api.Operation;
import dev.esm.api.ProgressListener;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.MergePlanner;
import dev.esm.core.plan.OperationPlan;

/** {@link CommitCommand}: merges a run of snapshots into an older one. Single-use. */
final class CoreCommitCommand extends MergingCommand implements CommitCommand {
    private final String base;
    private final String top;

    CoreCommitCommand(DomainContext ctx, String base, String top) {
        super(ctx);
        this.base = base;
        this.top = top;
    }

    @Override
    Operation operation() {
        return Operation.COMMIT;
    }

    @Override
    String target() {
        return top;
    }

    @Override
    OperationPlan planFor(DomainView v) {
        return MergePlanner.commit(v, base, top);
    }

    @Override
    public CommitCommand progress(ProgressListener listener) {
        setProgress(listener);
        return this;
    }
}
