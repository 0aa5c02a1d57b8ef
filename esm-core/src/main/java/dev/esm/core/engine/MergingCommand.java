package dev.esm.core.engine;

import dev.esm.api.ProgressListener;
import dev.esm.api.SnapshotChain;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.OperationPlan;
import java.util.Objects;

/**
 * Delete and commit: they read the image graph, report progress and can be cancelled (from any thread). Single-use.
 */
abstract class MergingCommand extends AbstractCommand<SnapshotChain> {
    MergingCommand(DomainContext ctx) {
        super(ctx);
    }

    final void setProgress(ProgressListener listener) {
        checkOpen();
        progress = Objects.requireNonNull(listener, "listener");
    }

    public final void cancel() {
        cancellation.cancel();
    }

    @Override
    DomainView read() {
        return ctx.views.withGraph();
    }

    @Override
    SnapshotChain result(OperationPlan plan, DomainView before) {
        return ctx.views.view().tree();
    }
}
