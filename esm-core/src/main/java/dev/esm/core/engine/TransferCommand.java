package dev.esm.core.engine;

import dev.esm.api.Operation;
import dev.esm.api.Plan;
import dev.esm.api.ProgressListener;
import dev.esm.api.SnapshotManager;
import dev.esm.core.port.Cancellation;
import java.util.Objects;
import java.util.Optional;

/**
 * What a move command and a replicate command share over {@link Transfer}: the folder, progress, cancellation, the
 * plan and the single use. Single-use; not thread-safe (but {@link #cancel()} may be called from another thread).
 *
 * @param <C> the command's own type, returned by its options
 * @param <R> what it returns
 */
abstract class TransferCommand<C, R> {
    private final Transfer transfer;
    private Optional<String> directory = Optional.empty();
    private ProgressListener progress = ProgressListener.NONE;
    private boolean used;
    private final Cancellation cancellation = new Cancellation(null);

    TransferCommand(DomainContext ctx, SnapshotManager target, Operation operation) {
        this.transfer = new Transfer(ctx, Objects.requireNonNull(target, "target"), operation);
    }

    /** @return this command, as its own type */
    abstract C self();

    /** @return how a running domain may be migrated (empty when it may not); checks the options that go together */
    abstract Optional<Optional<String>> liveOption();

    /** @return the command's result, once {@code sent} was transferred */
    abstract R result(dev.esm.api.Replication sent);

    public C path(String dir) {
        checkOpen();
        directory = Optional.of(TransferOptions.folder(dir));
        return self();
    }

    public C progress(ProgressListener listener) {
        checkOpen();
        progress = Objects.requireNonNull(listener, "listener");
        return self();
    }

    public Plan plan() {
        checkOpen();
        return transfer.plan(directory, liveOption()).toApi();
    }

    public R execute() {
        checkOpen();
        dev.esm.api.Replication sent = transfer.execute(directory, liveOption(), progress, cancellation);
        used = true; // a run that failed was undone: the command may run again
        return result(sent);
    }

    public void cancel() {
        cancellation.cancel();
    }

    final void checkOpen() {
        if (used) {
            throw new IllegalStateException("this command has run already; commands are single-use: make a new one");
        }
    }
}
