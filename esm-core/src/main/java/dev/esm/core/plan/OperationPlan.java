package dev.esm.core.plan;

import dev.esm.api.Operation;
import dev.esm.api.Plan;
import java.util.List;

/**
 * A planned operation: the steps, and what the result will be called.
 *
 * @param operation the operation
 * @param domain the domain
 * @param steps the steps in order
 * @param target the snapshot the operation is about, as the caller named it: the one created, reverted or refreshed
 *               to ({@code base} included, and {@code base} for setup), deleted, or the top of a commit; the journal
 *               keeps it, and a recovery of a stopped operation names it
 * @param onAbort the steps to take when a merge fails or is cancelled (the snapshots whose images a merge may
 *                have written into are removed, as asked, so that no snapshot's content is ever wrong)
 */
public record OperationPlan(Operation operation, String domain, List<Step> steps, String target, List<Step> onAbort) {
    public OperationPlan {
        steps = List.copyOf(steps);
        onAbort = List.copyOf(onAbort);
    }

    public OperationPlan(Operation operation, String domain, List<Step> steps, String target) {
        this(operation, domain, steps, target, List.of());
    }

    /** @return the plan as the API shows it */
    public Plan toApi() {
        return new Plan(operation, domain, steps.stream().map(Step::describe).toList());
    }
}
