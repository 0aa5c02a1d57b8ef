package dev.esm.core.engine;

import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Step;

/** Observes steps; the fault-injection seam of the tests. */
public interface StepListener {
    /** Called before step {@code index} (0-based) runs; throwing fails the plan at that point. */
    void beforeStep(OperationPlan plan, int index, Step step);

    /** Called before step {@code index} (0-based) of a move or replication runs; throwing stops it at that point. */
    default void beforeTransferStep(dev.esm.core.plan.TransferPlan plan, int index,
                                    dev.esm.core.plan.TransferStep step) {
    }
}
