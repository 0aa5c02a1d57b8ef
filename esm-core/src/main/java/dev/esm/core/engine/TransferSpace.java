package dev.esm.core.engine;

import dev.esm.api.errors.StorageException;
import dev.esm.core.model.Names;
import dev.esm.core.plan.TransferPlan;
import dev.esm.core.plan.TransferStep;
import dev.esm.core.port.Host;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Refuses a transfer whose copies do not fit where they go on the target, before anything is copied: the bytes of
 * the copies into each folder against what the target's storage says is free there (a folder it cannot tell of is
 * not refused). Stateless.
 */
final class TransferSpace {
    private TransferSpace() {
    }

    static void check(Host target, TransferPlan plan) {
        Map<String, Long> needed = new TreeMap<>();
        for (TransferStep s : plan.steps()) {
            if (s instanceof TransferStep.Copy c) {
                needed.merge(Names.directory(c.to()), c.bytes(), Long::sum);
            }
        }
        for (Map.Entry<String, Long> e : needed.entrySet()) {
            OptionalLong free = target.storage().freeBytes(e.getKey());
            if (free.isPresent() && free.getAsLong() < e.getValue()) {
                throw new StorageException("not enough space in " + e.getKey() + " on " + target.uri() + ": the "
                        + plan.operation().name().toLowerCase() + " copies " + e.getValue() + " bytes there and "
                        + free.getAsLong() + " are free; free some space there, or choose another folder (path)");
            }
        }
    }
}
