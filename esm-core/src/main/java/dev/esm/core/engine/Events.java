package dev.esm.core.engine;

import dev.esm.api.Operation;
import dev.esm.api.OperationEvent;
import dev.esm.api.OperationListener;
import dev.esm.api.Outcome;
import dev.esm.api.Recovery;
import dev.esm.api.StepEvent;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Step;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a domain's {@link OperationListener} what runs. A listener that throws is logged and otherwise ignored: it
 * never changes what an operation does. Thread-safe (immutable); merge threads report their steps through it.
 */
final class Events {
    private static final Logger LOG = LoggerFactory.getLogger(Events.class);

    /** Events that go nowhere. */
    static final Events NONE = new Events(OperationListener.NONE, "", Clock.systemUTC());

    private final OperationListener listener;
    private final String domain;
    private final Clock clock;
    /** What the operation is about, as its events name it; null: the plan's target. */
    private final String target;

    Events(OperationListener listener, String domain, Clock clock) {
        this(listener, domain, clock, null);
    }

    private Events(OperationListener listener, String domain, Clock clock, String target) {
        this.listener = listener;
        this.domain = domain;
        this.clock = clock;
        this.target = target;
    }

    /**
     * @param what what one operation is about: the snapshot the caller named (created, reverted to, deleted, the top
     *             of a commit), or empty to take the plan's target (refresh: the snapshot refreshed to)
     * @return events for that operation
     */
    Events about(String what) {
        return new Events(listener, domain, clock, what == null || what.isEmpty() ? null : what);
    }

    private String target(OperationPlan plan) {
        return target != null ? target : plan.target();
    }

    /** @return now, by the clock events are timed with */
    Instant now() {
        return clock.instant();
    }

    static Outcome outcome(RuntimeException failure) {
        return failure == null ? Outcome.SUCCEEDED
                : failure instanceof OperationCancelledException ? Outcome.CANCELLED : Outcome.FAILED;
    }

    void operationStarted(OperationPlan plan, Instant started) {
        operationStarted(plan.operation(), target(plan), plan.steps().size(), started);
    }

    /** The start of an operation planned other than as an {@link OperationPlan} (a move, a replication). */
    void operationStarted(Operation operation, String planTarget, int steps, Instant started) {
        if (listener == OperationListener.NONE) {
            return;
        }
        OperationEvent e = new OperationEvent(domain, operation, target != null ? target : planTarget, started,
                Duration.ZERO, steps, Outcome.RUNNING, Optional.empty());
        tell(() -> listener.operationStarted(e));
    }

    void operationFinished(Operation operation, String planTarget, Instant started, int steps,
                           RuntimeException failure) {
        if (listener == OperationListener.NONE) {
            return;
        }
        String what = target != null ? target : planTarget == null ? "" : planTarget;
        OperationEvent e = new OperationEvent(domain, operation, what, started,
                Duration.between(started, clock.instant()), steps, outcome(failure), Optional.ofNullable(failure));
        tell(() -> listener.operationFinished(e));
    }

    /** @return when the step started, for {@link #stepFinished} */
    Instant stepStarted(OperationPlan plan, int index, Step step) {
        return stepStarted(plan.operation(), target(plan), index, plan.steps().size(), step.describe());
    }

    /** @return when the step started; for a step of an operation planned other than as an {@link OperationPlan} */
    Instant stepStarted(Operation operation, String planTarget, int index, int steps, dev.esm.api.PlanStep step) {
        Instant now = clock.instant();
        if (listener != OperationListener.NONE) {
            StepEvent e = new StepEvent(domain, operation, target != null ? target : planTarget, index, steps, step,
                    Duration.ZERO, Outcome.RUNNING, Optional.empty());
            tell(() -> listener.stepStarted(e));
        }
        return now;
    }

    void stepFinished(OperationPlan plan, int index, Step step, Instant started, RuntimeException failure) {
        stepFinished(plan.operation(), target(plan), index, plan.steps().size(), step.describe(), started, failure);
    }

    /** The end of a step of an operation planned other than as an {@link OperationPlan}. */
    void stepFinished(Operation operation, String planTarget, int index, int steps, dev.esm.api.PlanStep step,
                      Instant started, RuntimeException failure) {
        if (listener == OperationListener.NONE) {
            return;
        }
        StepEvent e = new StepEvent(domain, operation, target != null ? target : planTarget, index, steps, step,
                Duration.between(started, clock.instant()), outcome(failure), Optional.ofNullable(failure));
        tell(() -> listener.stepFinished(e));
    }

    void recovered(Recovery recovery) {
        tell(() -> listener.recovered(domain, recovery));
    }

    private void tell(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("domain '{}': an OperationListener threw {}; ignored", domain, e.toString());
        }
    }
}
