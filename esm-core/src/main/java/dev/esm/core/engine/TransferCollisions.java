package dev.esm.core.engine;

import dev.esm.api.DiskImage;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.plan.ReplicaRecord;
import dev.esm.core.plan.TransferPlan;
import dev.esm.core.plan.TransferStep;
import dev.esm.core.port.Host;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Refuses a transfer that would replace, on the target, a file it did not put there, before anything is copied: a
 * file of another domain at the same path, or one of this domain's own files that the target sees through storage
 * both hosts share while ESM's folder is not shared (the move would replace it there, then remove it here, which is
 * the same file). Files the target holds from an earlier run ({@link ReplicaRecord}) and the files of the standby the
 * target has of this domain may be replaced. Stateless.
 */
final class TransferCollisions {
    private TransferCollisions() {
    }

    /**
     * @param target the target
     * @param plan the plan
     * @param held what the target holds from earlier runs
     * @param standby the definition of this domain's standby on the target, if it has one
     * @throws InvalidOperationException naming the first such file
     */
    static void check(Host target, TransferPlan plan, ReplicaRecord held, Optional<DomainDefinition> standby) {
        Set<String> own = new HashSet<>();
        standby.ifPresent(d -> {
            d.activeImages().stream().map(DiskImage::path).forEach(own::add);
            d.nvram().ifPresent(own::add);
            d.tpmState().ifPresent(own::add);
        });
        for (TransferStep s : plan.steps()) {
            String to = s instanceof TransferStep.Copy c ? c.to() : s instanceof TransferStep.Overlay o ? o.path()
                    : null;
            if (to == null || held.entry(to).isPresent() || own.contains(to) || !target.storage().exists(to)) {
                continue;
            }
            throw new InvalidOperationException("'" + to + "' already exists on " + target.uri() + ", and ESM did not"
                    + " put it there: the " + plan.operation().name().toLowerCase() + " would replace it (another"
                    + " domain's file, or this domain's own seen through storage both hosts share); move it out of"
                    + " the way there, or give another folder (path, --path)");
        }
    }
}
