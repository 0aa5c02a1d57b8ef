package dev.esm.core.engine;

import dev.esm.api.Operation;
import dev.esm.api.Plan;
import dev.esm.api.ProgressListener;
import dev.esm.api.errors.LeaseLostException;
import dev.esm.core.plan.Journal;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.OperationPlan;
import dev.esm.core.port.Cancellation;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-use mechanics every command shares: options may be set until it runs; {@link #plan()} is a dry run;
 * {@link #execute()} takes the domain's lock, recovers what a stopped process left, reads and plans again under the
 * lock, runs the plan and reports it to the manager's listener. A run that failed leaves the command open, so it
 * may be executed again (planned again against the domain as it is then); a cancelled command stays cancelled.
 * Not thread-safe, except {@code cancel()} of the merging commands.
 *
 * @param <R> what {@code execute()} returns
 */
abstract class AbstractCommand<R> {
    private static final Logger LOG = LoggerFactory.getLogger(AbstractCommand.class);

    final DomainContext ctx;
    private boolean used;
    private boolean running;
    ProgressListener progress = ProgressListener.NONE;
    final Cancellation cancellation = new Cancellation(null);
    /** The journal as last written by a run that lost the domain's lease (what the lease's new owner recovers). */
    private Optional<Journal> lastWritten = Optional.empty();

    AbstractCommand(DomainContext ctx) {
        this.ctx = ctx;
    }

    /** @return the operation this command runs */
    abstract Operation operation();

    /** @return what it is about before it is planned (the snapshot's name, or empty) */
    abstract String target();

    /** @return what planning needs; the whole view unless a command needs less */
    DomainView read() {
        return ctx.views.view();
    }

    /** @return the plan for the domain as {@code v} shows it */
    abstract OperationPlan planFor(DomainView v);

    /**
     * @return an existence test for planning: real for the firmware state files the domain's definitions name (the
     *         UEFI variables, an emulated TPM's state: libvirt and swtpm make them behind a storage's back) and for
     *         snapshots' copies of them, cheap ({@link dev.esm.core.port.Storage#existsCheaply}) for other paths
     */
    java.util.function.Predicate<String> existsForPlanning(DomainView v) {
        java.util.Set<String> files = new java.util.HashSet<>();
        for (dev.esm.core.plan.Firmware.State state : dev.esm.core.plan.Firmware.State.values()) {
            state.fileOf(v.persistent()).ifPresent(files::add);
            state.fileOf(v.active()).ifPresent(files::add);
        }
        return p -> files.contains(p) || p.endsWith(".nvram") || p.endsWith(".tpm") ? ctx.host.storage().exists(p)
                : ctx.host.storage().existsCheaply(p);
    }

    /** @return the command's result, from the view read before it ran and whatever it reads again */
    abstract R result(OperationPlan plan, DomainView before);

    final void checkOpen() {
        if (used) {
            throw new IllegalStateException("this command has run already; commands are single-use: make a new one");
        }
    }

    public final Plan plan() {
        checkOpen();
        return describe(planFor(read()));
    }

    /** @return the plan as the API shows it; merging commands add what each merge copies */
    Plan describe(OperationPlan plan) {
        return plan.toApi();
    }

    public final R execute() {
        checkOpen();
        if (running) {
            throw new IllegalStateException("this command is running already; commands are single-use");
        }
        running = true;
        try {
            R result = ctx.lock.locked(this::runLocked);
            used = true;
            return result;
        } catch (LeaseLostException lost) {
            used = true; // another client owns the domain and this operation's fate now
            throw new LeaseFate(ctx, operation(), target(), lastWritten).of(lost);
        } finally {
            running = false;
        }
    }

    private R runLocked() {
        ctx.recoverLocked();
        Events events = ctx.events.about(target());
        Instant started = events.now();
        DomainView before;
        OperationPlan plan;
        try {
            // Planned again under the lock: the domain may have changed since plan() or since the caller looked.
            before = read();
            plan = planFor(before);
        } catch (RuntimeException refused) {
            events.operationFinished(operation(), target(), started, 0, refused);
            throw refused;
        }
        cancellation.runningOn(Thread.currentThread());
        events.operationStarted(plan, started);
        Executor executor = ctx.executor(progress, cancellation, events);
        try {
            executor.run(plan, before);
            R result = result(plan, before);
            LOG.info("{} on domain '{}' done ({})", plan.operation().name().toLowerCase(), ctx.name, plan.target());
            events.operationFinished(plan.operation(), plan.target(), started, plan.steps().size(), null);
            return result;
        } catch (RuntimeException e) {
            if (e instanceof LeaseLostException) {
                lastWritten = executor.lastWritten();
            }
            events.operationFinished(plan.operation(), plan.target(), started, plan.steps().size(), e);
            throw e;
        }
    }
}
