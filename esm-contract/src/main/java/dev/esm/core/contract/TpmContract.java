package dev.esm.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainState;
import dev.esm.api.PlanStep;
import dev.esm.api.StepKind;
import dev.esm.core.contract.Bed.DiskSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An emulated TPM's state (swtpm's persistent state file) with every snapshot: the same contract as the UEFI
 * variables' ({@link FirmwareContract}, whose tests all run here on the TPM's state file), and what only a TPM
 * needs: a state whose length changed is put back whole, and a revert to a running state puts the file back before
 * the restore, so that a later cold start matches. Run on the fake and on the real libvirtd with swtpm.
 */
public abstract class TpmContract extends FirmwareContract {

    @Override
    protected String newDomain(List<DiskSpec> disks) {
        return bed.newTpmDomain(disks);
    }

    @Override
    protected String stateFile(String domain) {
        return bed.tpmStateFile(domain);
    }

    @Override
    protected void writeState(int pattern) {
        bed.writeTpmState(dom, pattern);
    }

    @Override
    protected StepKind saveKind() {
        return StepKind.SAVE_TPM_STATE;
    }

    @Override
    protected StepKind restoreKind() {
        return StepKind.RESTORE_TPM_STATE;
    }

    @Override
    protected String suffix() {
        return ".tpm";
    }

    @Test
    void aStateThatGrewSinceTheSnapshotIsPutBackAtItsOldLength() {
        d.setup(bed.folder(dom) + "/esm").execute();
        String s1 = create("s1");
        String atSnapshot = bed.fileHash(s1);
        assertEquals(atSnapshot, bed.fileHash(vars), "the copy holds the state's bytes");
        bed.growFile(vars, D);
        assertNotEquals(atSnapshot, bed.fileHash(vars));
        d.revert("s1").execute();
        assertEquals(atSnapshot, bed.fileHash(vars), "the state is the snapshot's, no byte more");
        assertEquals(atSnapshot, bed.fileHash(s1), "the copy is only read");
        assertEquals(List.of(), d.verify());
    }

    @Test
    void aRevertToARunningStatePutsTheTpmStateBackBeforeTheRestore() {
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.start(dom);
        var plan = d.snapshot("m1").memory().plan();
        String copy = copyIn(plan, StepKind.SAVE_TPM_STATE);
        d.snapshot("m1").memory().create();
        assertEquals(DomainState.RUNNING, d.state());
        String atSnapshot = bed.fileHash(copy);
        bed.stop(dom);
        writeState(D); // a state swtpm would refuse: the restore works only on the snapshot's
        List<StepKind> kinds = d.revert("m1").running().plan().steps().stream().map(PlanStep::kind).toList();
        assertTrue(kinds.indexOf(StepKind.RESTORE_TPM_STATE) >= 0
                && kinds.indexOf(StepKind.RESTORE_TPM_STATE) < kinds.indexOf(StepKind.RESTORE_MEMORY), kinds.toString());
        d.revert("m1").running().execute();
        assertEquals(DomainState.RUNNING, d.state());
        bed.stop(dom);
        assertEquals(atSnapshot, bed.fileHash(vars), "a cold start after it finds the snapshot's TPM state");
        bed.start(dom);
        assertEquals(DomainState.RUNNING, d.state());
        assertEquals(atSnapshot, bed.fileHash(copy), "the copy is only read");
        assertEquals(List.of(), d.verify());
    }
}
