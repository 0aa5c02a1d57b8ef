package dev.esm.core.engine;

import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Step;

/** Observes steps; the fault-injection seam of the tests. */
public interface StepListener {
    /** Called before step {@code index} (0-based) runs; throwing fails the plan at that point. */
    void beforeStep(OperationPlan plan, int index, Step step);
}
