package dev.esm.core.plan;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.EsmRecord;
import dev.esm.core.model.Names;
import java.util.Optional;

/**
 * Where a snapshot's copies of the domain's firmware state are kept: the UEFI variables ({@code <os><nvram>}) and
 * an emulated TPM's persistent state (swtpm). Each beside the snapshot's frozen images (in ESM's folder after
 * setup), named after the snapshot ({@link Names#firmwarePath}, {@link Names#tpmStatePath}), so that a revert, a
 * delete and verify find it from the snapshot alone. Stateless; thread-safe.
 */
public final class Firmware {
    private Firmware() {
    }

    /** A piece of firmware state that every snapshot keeps a copy of, and every revert puts back. */
    public enum State {
        /** The UEFI variables file ({@code <os><nvram>}), kept as {@code <snapshot>.nvram}. */
        NVRAM,
        /** The persistent state file of an emulated TPM ({@code <tpm><backend type='emulator'>}), as {@code .tpm}. */
        TPM;

        /** @return the domain's file holding this state, if it has one */
        public Optional<String> fileOf(DomainDefinition def) {
            return this == NVRAM ? def.nvram() : def.tpmState();
        }

        /** @return where the copy of snapshot {@code snapshot} (or the base) is kept in folder {@code dir} */
        public String copyPath(String dir, String snapshot) {
            return this == NVRAM ? Names.firmwarePath(dir, snapshot) : Names.tpmStatePath(dir, snapshot);
        }

        /** @return the step that copies the domain's {@code file} to the snapshot's {@code copy} */
        Step save(String snapshot, String file, String copy) {
            return this == NVRAM ? new Step.SaveFirmware(snapshot, file, copy)
                    : new Step.SaveTpmState(snapshot, file, copy);
        }

        /** @return the step that puts the snapshot's {@code copy} back in the domain's {@code file} */
        Step restore(String snapshot, String copy, String file) {
            return this == NVRAM ? new Step.RestoreFirmware(snapshot, copy, file)
                    : new Step.RestoreTpmState(snapshot, copy, file);
        }

        /** @return what the state is, for messages: "the firmware variables", "the TPM state" */
        public String what() {
            return this == NVRAM ? "the firmware variables" : "the TPM state";
        }
    }

    /**
     * @param state which firmware state
     * @param record the domain's ESM record, if any
     * @param snapshot a snapshot, or the base
     * @return where its copy of that state is (or would be) kept; empty for a base without ESM's folder (only setup
     *         keeps a copy for the base)
     */
    public static Optional<String> copyOf(State state, Optional<EsmRecord> record, Snapshot snapshot) {
        Optional<String> dir = record.flatMap(EsmRecord::disksDir);
        if (snapshot.isBase() || DomainSnapshots.BASE.equals(snapshot.name())) {
            return dir.map(d -> state.copyPath(d, DomainSnapshots.BASE));
        }
        return dir.or(() -> snapshot.images().stream().findFirst().map(i -> Names.directory(i.path())))
                .map(d -> state.copyPath(d, snapshot.name()));
    }
}
