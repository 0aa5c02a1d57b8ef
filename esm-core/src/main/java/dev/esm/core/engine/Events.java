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

    Events(OperationListener listener, String domain, Clock clock) {
        this.listener = listener;
        this.domain = domain;
        this.clock = clock;
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
        if (listener == OperationListener.NONE) {
            return;
        }
        OperationEvent e = new OperationEvent(domain, plan.operation(), plan.target(), started, Duration.ZERO,
                plan.steps().size(), Outcome.RUNNING, Optional.empty());
        tell(() -> listener.operationStarted(e));
    }

    void operationFinished(Operation operation, String target, Instant started, int steps, RuntimeException failure) {
        if (listener == OperationListener.NONE) {
            return;
        }
        OperationEvent e = new OperationEvent(domain, operation, target == null ? "" : target, started,
                Duration.between(started, clock.instant()), steps, outcome(failure), Optional.ofNullable(failure));
        tell(() -> listener.operationFinished(e));
    }

    /** @return when the step started, for {@link #stepFinished} */
    Instant stepStarted(OperationPlan plan, int index, Step step) {
        Instant now = clock.instant();
        if (listener != OperationListener.NONE) {
            StepEvent e = new StepEvent(domain, plan.operation(), plan.target(), index, plan.steps().size(),
                    step.describe(), Duration.ZERO, Outcome.RUNNING, Optional.empty());
            tell(() -> listener.stepStarted(e));
        }
        return now;
    }

    void stepFinished(OperationPlan plan, int index, Step step, Instant started, RuntimeException failure) {
        if (listener == OperationListener.NONE) {
            return;
        }
        StepEvent e = new StepEvent(domain, plan.operation(), plan.target(), index, plan.steps().size(),
                step.describe(), Duration.between(started, clock.instant()), outcome(failure),
                Optional.ofNullable(failure));
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
