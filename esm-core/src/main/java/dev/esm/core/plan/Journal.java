package dev.esm.core.plan;

import dev.esm.api.Operation;
import java.time.Instant;
import java.util.List;

/**
 * The durable record of an operation in progress: its plan and how far it got. Written before the first step
 * and after each one, removed when the operation has finished (or was undone). Finding one means a process
 * stopped in the middle; the executor then completes or undoes it.
 *
 * @param operation the operation
 * @param domain the domain
 * @param steps the plan's steps
 * @param onAbort the plan's abort steps
 * @param target the plan's target
 * @param next the index of the first step not known to be finished
 * @param started when the operation started
 * @param saved snapshot metadata a running step saved before removing it (name to XML), so that a recovery
 *              can put it back
 */
public record Journal(Operation operation, String domain, List<Step> steps, List<Step> onAbort, String target,
                      int next, Instant started, java.util.Map<String, String> saved) {
    public Journal {
        steps = List.copyOf(steps);
        onAbort = List.copyOf(onAbort);
        saved = java.util.Map.copyOf(saved);
    }

    /** @return a journal for a plan about to run */
    public static Journal of(OperationPlan plan, Instant now) {
        return new Journal(plan.operation(), plan.domain(), plan.steps(), plan.onAbort(), plan.target(), 0, now,
                java.util.Map.of());
    }

    /** @return this journal with step {@code index} done (and nothing saved) */
    public Journal done(int index) {
        return new Journal(operation, domain, steps, onAbort, target, index + 1, started, java.util.Map.of());
    }

    /** @return this journal with snapshot metadata saved by the running step */
    public Journal saving(java.util.Map<String, String> xmls) {
        return new Journal(operation, domain, steps, onAbort, target, next, started, xmls);
    }

    /** @return the plan again */
    public OperationPlan plan() {
        return new OperationPlan(operation, domain, steps, target, onAbort);
    }
}
