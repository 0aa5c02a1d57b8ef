package dev.esm.core.engine;

import dev.esm.api.DiskImage;
import dev.esm.api.Plan;
import dev.esm.api.PlanStep;
import dev.esm.api.ProgressListener;
import dev.esm.api.SnapshotChain;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Step;
import dev.esm.core.port.Storage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

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

    /** Adds to each merge step the most bytes it copies: the allocation of every image above its base. */
    @Override
    Plan describe(OperationPlan plan) {
        Plan p = plan.toApi();
        List<PlanStep> steps = new ArrayList<>();
        for (int i = 0; i < p.steps().size(); i++) {
            PlanStep s = p.steps().get(i);
            if (plan.steps().get(i) instanceof Step.Merge m) {
                OptionalLong bytes = bytesAbove(m.top(), m.base().path());
                if (bytes.isPresent()) {
                    s = s.withBytes(bytes.getAsLong());
                }
            }
            steps.add(s);
        }
        return new Plan(p.operation(), p.domain(), steps);
    }

    /** @return the allocation of {@code top} and every image below it down to (not counting) {@code base} */
    private OptionalLong bytesAbove(DiskImage top, String base) {
        Storage storage = ctx.host.storage();
        long bytes = 0;
        Optional<DiskImage> image = Optional.of(top);
        try {
            for (int n = 0; image.isPresent() && n < 1000; n++) {
                DiskImage img = image.get();
                if (img.path().equals(base)) {
                    return OptionalLong.of(bytes);
                }
                bytes += storage.info(img.path(), img.format()).actualSize();
                image = storage.backing(img.path(), img.format());
            }
        } catch (RuntimeException unreadable) {
            return OptionalLong.empty(); // a dry run shows what it can; the run itself reports the image
        }
        return OptionalLong.empty();
    }

    @Override
    DomainView read() {
        return ctx.views.withGraph();
    }

    @Override
    SnapshotChain result(OperationPlan plan, DomainView before) {
        return ctx.views.treeAfter(plan.steps(), before);
    }
}
