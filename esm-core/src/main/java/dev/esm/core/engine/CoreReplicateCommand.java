package dev.esm.core.engine;

import dev.esm.api.Operation;
import dev.esm.api.Plan;
import dev.esm.api.ProgressListener;
import dev.esm.api.ReplicateCommand;
import dev.esm.api.Replication;
import dev.esm.api.SnapshotManager;
import dev.esm.core.port.Cancellation;
import java.util.Objects;
import java.util.Optional;

/** {@link ReplicateCommand} over {@link Transfer}. Single-use; not thread-safe. */
final class CoreReplicateCommand implements ReplicateCommand {
    private final Transfer transfer;
    private Optional<String> directory = Optional.empty();
    private ProgressListener progress = ProgressListener.NONE;
    private boolean used;
    private final Cancellation cancellation = new Cancellation(null);

    CoreReplicateCommand(DomainContext ctx, SnapshotManager target) {
        this.transfer = new Transfer(ctx, Objects.requireNonNull(target, "target"), Operation.REPLICATE);
    }

    @Override
    public ReplicateCommand path(String dir) {
        checkOpen();
        directory = Optional.of(TransferOptions.folder(dir));
        return this;
    }

    @Override
    public ReplicateCommand progress(ProgressListener listener) {
        checkOpen();
        progress = Objects.requireNonNull(listener, "listener");
        return this;
    }

    @Override
    public Plan plan() {
        checkOpen();
        return transfer.plan(directory, Optional.empty()).toApi();
    }

    @Override
    public Replication execute() {
        checkOpen();
        Replication sent = transfer.execute(directory, Optional.empty(), progress, cancellation);
        used = true; // a run that failed may run again
        return sent;
    }

    @Override
    public void cancel() {
        cancellation.cancel();
    }

    private void checkOpen() {
        if (used) {
            throw new IllegalStateException("this command has run already; commands are single-use: make a new one");
        }
    }
}
