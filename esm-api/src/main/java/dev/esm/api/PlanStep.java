package dev.esm.api;

import java.util.Objects;

/**
 * One step of a {@link Plan}.
 *
 * @param kind what kind of step it is
 * @param description what it does, for people, naming the files and snapshots involved
 */
public record PlanStep(StepKind kind, String description) {
    /**
     * Checks the components and keeps immutable copies of the collections.
     *
     * @param kind what kind of step it is
     * @param description what it does, for people, naming the files and snapshots involved
     */
    public PlanStep {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(description, "description");
    }

    @Override
    public String toString() {
        return kind + ": " + description;
    }
}
