package dev.esm.core.plan;

import dev.esm.api.Operation;
import dev.esm.api.Plan;
import java.util.List;
import java.util.Map;

/**
 * A move or replication planned: its steps, the files the target already holds, and where each file goes.
 *
 * @param operation {@link Operation#MOVE} or {@link Operation#REPLICATE}
 * @param domain the domain
 * @param steps in order
 * @param kept the files (target paths) not sent again
 * @param moved each file's path here to its path on the target
 */
public record TransferPlan(Operation operation, String domain, List<TransferStep> steps, List<String> kept,
                           Map<String, String> moved) {
    public TransferPlan {
        steps = List.copyOf(steps);
        kept = List.copyOf(kept);
        moved = Map.copyOf(moved);
    }

    /** @return the plan as the API shows it */
    public Plan toApi() {
        return new Plan(operation, domain, steps.stream().map(TransferStep::describe).toList());
    }

    /** @return the index of the first step that changes this host (a move's point of no return), or the size */
    public int firstChangeHere() {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i) instanceof TransferStep.Undefine || steps.get(i) instanceof TransferStep.RemoveHere
                    || steps.get(i) instanceof TransferStep.Aside) {
                return i;
            }
        }
        return steps.size();
    }
}
