package dev.esm.api;

import java.time.Instant;

/**
 * What ESM did about an operation a stopped process left unfinished.
 *
 * @param operation the unfinished operation
 * @param target what it was about (the snapshot's name, or {@code base})
 * @param started when the stopped process started it
 * @param completed true when it was completed, false when it was undone (only files had been made)
 */
public record Recovery(Operation operation, String target, Instant started, boolean completed) {
    /** @return one sentence, e.g. "the unfinished create of s1 (started 2026-11-27T10:00:00Z) was completed" */
    public String describe() {
        return "the unfinished " + operation.name().toLowerCase(java.util.Locale.ROOT)
                + (target == null || target.isEmpty() ? "" : " of " + target) + " (started " + started + ") was "
                + (completed ? "completed" : "undone");
    }
}
