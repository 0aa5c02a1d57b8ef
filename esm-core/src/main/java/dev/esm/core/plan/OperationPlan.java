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
 * @param target the snapshot the operation makes current ({@code base} included), if any
 */
public record OperationPlan(Operation operation, String domain, List<Step> steps, String target) {
    public OperationPlan {
        steps = List.copyOf(steps);
    }

    /** @return the plan as the API shows it */
    public Plan toApi() {
        return new Plan(operation, domain, steps.stream().map(Step::describe).toList());
    }
}
