package dev.esm.core.engine;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.MoveCommand;
import dev.esm.api.Operation;
import dev.esm.api.Plan;
import dev.esm.api.ProgressListener;
import dev.esm.api.SnapshotManager;
import dev.esm.core.port.Cancellation;
import java.util.Objects;
import java.util.Optional;

/** {@link MoveCommand} over {@link Transfer}. Single-use; not thread-safe. */
final class CoreMoveCommand implements MoveCommand {
    private final Transfer transfer;
    private final SnapshotManager target;
    private final String domain;
    private Optional<String> directory = Optional.empty();
    private ProgressListener progress = ProgressListener.NONE;
    private boolean used;
    private final Cancellation cancellation = new Cancellation(null);
    private boolean live;
    private Optional<String> address = Optional.empty();

    CoreMoveCommand(DomainContext ctx, SnapshotManager target) {
        this.transfer = new Transfer(ctx, Objects.requireNonNull(target, "target"), Operation.MOVE);
        this.target = target;
        this.domain = ctx.name;
    }

    @Override
    public MoveCommand path(String dir) {
        checkOpen();
        directory = Optional.of(TransferOptions.folder(dir));
        return this;
    }

    @Override
    public MoveCommand live() {
        checkOpen();
        live = true;
        return this;
    }

    @Override
    public MoveCommand migrationAddress(String host) {
        checkOpen();
        address = Optional.of(TransferOptions.address(host));
        return this;
    }

    @Override
    public MoveCommand progress(ProgressListener listener) {
        checkOpen();
        progress = Objects.requireNonNull(listener, "listener");
        return this;
    }

    @Override
    public Plan plan() {
        checkOpen();
        return transfer.plan(directory, liveOption()).toApi();
    }

    @Override
    public DomainSnapshots execute() {
        checkOpen();
        transfer.execute(directory, liveOption(), progress, cancellation);
        used = true; // a run that failed was undone: the command may run again
        return target.domain(domain);
    }

    /** @return how a running domain may be migrated: empty when it may not */
    private Optional<Optional<String>> liveOption() {
        if (!live && address.isPresent()) {
            throw new IllegalStateException("a migration address is for a live move: add live()");
        }
        return live ? Optional.of(address) : Optional.empty();
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
