package dev.esm.core.plan;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.core.model.EsmRecord;
import dev.esm.core.model.Names;
import java.util.Optional;

/**
 * Where a snapshot's copy of the firmware variables (UEFI VARS, {@code <os><nvram>}) is kept: beside its frozen
 * images (in ESM's folder after setup), named after the snapshot ({@link Names#firmwarePath}), so that a revert, a
 * delete and verify find it from the snapshot alone. Stateless; thread-safe.
 */
public final class Firmware {
    private Firmware() {
    }

    /**
     * @param record the domain's ESM record, if any
     * @param snapshot a snapshot, or the base
     * @return where its copy of the firmware variables is (or would be) kept; empty for a base without ESM's folder
     *         (only setup keeps a copy for the base)
     */
    public static Optional<String> copyOf(Optional<EsmRecord> record, Snapshot snapshot) {
        Optional<String> dir = record.flatMap(EsmRecord::disksDir);
        if (snapshot.isBase() || DomainSnapshots.BASE.equals(snapshot.name())) {
            return dir.map(d -> Names.firmwarePath(d, DomainSnapshots.BASE));
        }
        return dir.or(() -> snapshot.images().stream().findFirst().map(i -> Names.directory(i.path())))
                .map(d -> Names.firmwarePath(d, snapshot.name()));
    }
}
