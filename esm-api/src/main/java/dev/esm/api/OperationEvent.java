package dev.esm.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * An operation that started or ended, as {@link OperationListener} is told of it.
 *
 * @param domain the domain's name
 * @param operation the operation
 * @param target what it is about: the snapshot the caller named (created, reverted to, deleted; the top of a commit;
 *               {@code base} for the base), the snapshot a refresh went back to, or the empty string for setup
 * @param started when it started (after the domain's lock was taken)
 * @param duration how long it ran; zero in a start event
 * @param steps how many steps its plan has; zero when it failed before it was planned
 * @param outcome {@link Outcome#RUNNING} in a start event, else how it ended
 * @param failure what it failed with, when it failed or was cancelled
 */
public record OperationEvent(String domain, Operation operation, String target, Instant started, Duration duration,
                             int steps, Outcome outcome, Optional<RuntimeException> failure) {
    /**
     * Checks the components.
     *
     * @param domain the domain's name
     * @param operation the operation
     * @param target what it is about: the snapshot the caller named (created, reverted to, deleted; the top of a commit;
     *               {@code base} for the base), the snapshot a refresh went back to, or the empty string for setup
     * @param started when it started (after the domain's lock was taken)
     * @param duration how long it ran; zero in a start event
     * @param steps how many steps its plan has; zero when it failed before it was planned
     * @param outcome {@link Outcome#RUNNING} in a start event, else how it ended
     * @param failure what it failed with, when it failed or was cancelled
     * @throws NullPointerException if a component is null
     */
    public OperationEvent {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(started, "started");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(failure, "failure");
    }
}
