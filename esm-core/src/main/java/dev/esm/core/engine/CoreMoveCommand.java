package dev.esm.core.engine;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.MoveCommand;
import dev.esm.api.Operation;
import dev.esm.api.Replication;
import dev.esm.api.SnapshotManager;
import java.util.Optional;

/** {@link MoveCommand} over {@link Transfer}. Single-use; not thread-safe. */
final class CoreMoveCommand extends TransferCommand<MoveCommand, DomainSnapshots> implements MoveCommand {
    private final SnapshotManager target;
    private final String domain;
    private boolean live;
    private Optional<String> address = Optional.empty();

    CoreMoveCommand(DomainContext ctx, SnapshotManager target) {
        super(ctx, target, Operation.MOVE);
        this.target = target;
        this.domain = ctx.name;
    }

    @Override
    MoveCommand self() {
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

    /** @return how a running domain may be migrated: empty when it may not */
    @Override
    Optional<Optional<String>> liveOption() {
        if (!live && address.isPresent()) {
            throw new IllegalStateException("a migration address is for a live move: add live()");
        }
        return live ? Optional.of(address) : Optional.empty();
    }

    /** @return the domain, on the target */
    @Override
    DomainSnapshots result(Replication sent) {
        return target.domain(domain);
    }
}
