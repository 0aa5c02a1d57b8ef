package dev.esm.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A step of a running operation that started or ended, as {@link OperationListener} is told of it.
 *
 * @param domain the domain's name
 * @param operation the operation the step belongs to
 * @param target what the operation is about (see {@link OperationEvent#target()})
 * @param index the step's place in the plan, from 0
 * @param count how many steps the plan has
 * @param step the step, as {@link Command#plan()} shows it
 * @param duration how long it ran; zero in a start event
 * @param outcome {@link Outcome#RUNNING} in a start event, else how it ended
 * @param failure what it failed with, when it failed or was cancelled
 */
public record StepEvent(String domain, Operation operation, String target, int index, int count, PlanStep step,
                        Duration duration, Outcome outcome, Optional<RuntimeException> failure) {
    /**
     * Checks the components.
     *
     * @param domain the domain's name
     * @param operation the operation the step belongs to
     * @param target what the operation is about (see {@link OperationEvent#target()})
     * @param index the step's place in the plan, from 0
     * @param count how many steps the plan has
     * @param step the step, as {@link Command#plan()} shows it
     * @param duration how long it ran; zero in a start event
     * @param outcome {@link Outcome#RUNNING} in a start event, else how it ended
     * @param failure what it failed with, when it failed or was cancelled
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if the index is not within the plan
     */
    public StepEvent {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(failure, "failure");
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException("step " + index + " of " + count);
        }
    }
}
