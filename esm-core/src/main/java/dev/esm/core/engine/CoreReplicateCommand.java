package dev.esm.core.engine;

import dev.esm.api.Operation;
import dev.esm.api.ReplicateCommand;
import dev.esm.api.Replication;
import dev.esm.api.SnapshotManager;
import java.util.Optional;

/** {@link ReplicateCommand} over {@link Transfer}. Single-use; not thread-safe. */
final class CoreReplicateCommand extends TransferCommand<ReplicateCommand, Replication> implements ReplicateCommand {
    CoreReplicateCommand(DomainContext ctx, SnapshotManager target) {
        super(ctx, target, Operation.REPLICATE);
    }

    @Override
    ReplicateCommand self() {
        return this;
    }

    @Override
    Optional<Optional<String>> liveOption() {
        return Optional.empty();
    }

    @Override
    Replication result(Replication sent) {
        return sent;
    }
}
