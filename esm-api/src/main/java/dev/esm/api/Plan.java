package dev.esm.api;

import java.util.List;
import java.util.Objects;

/**
 * What an operation would do, step by step, if run now; see {@link Command#plan()}.
 *
 * @param operation the operation
 * @param domain the domain's name
 * @param steps the steps, in order
 */
public record Plan(Operation operation, String domain, List<PlanStep> steps) {
    /**
     * Checks the components and keeps immutable copies of the collections.
     *
     * @param operation the operation
     * @param domain the domain's name
     * @param steps the steps, in order
     */
    public Plan {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(domain, "domain");
        steps = List.copyOf(steps);
    }

    /** @return the plan as numbered lines, one step a line, ending with a line break */
    public String render() {
        StringBuilder b = new StringBuilder();
        b.append(operation.name().toLowerCase(java.util.Locale.ROOT)).append(" on domain '").append(domain)
                .append("': ").append(steps.size()).append(steps.size() == 1 ? " step" : " steps").append('\n');
        for (int i = 0; i < steps.size(); i++) {
            b.append(String.format("%3d. %-17s %s%n", i + 1, steps.get(i).kind(), steps.get(i).description()));
        }
        return b.toString();
    }
}
