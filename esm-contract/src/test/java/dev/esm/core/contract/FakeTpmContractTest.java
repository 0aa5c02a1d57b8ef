package dev.esm.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.PlanStep;
import dev.esm.api.StepKind;
import dev.esm.core.contract.Bed.DiskSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An emulated TPM's state against the in-memory fake host, plus cases only the fake can stage. */
class FakeTpmContractTest extends TpmContract {
    @Override
    protected Bed openBed() {
        return new FakeBed();
    }

    private static boolean has(dev.esm.api.Plan plan, StepKind kind) {
        return plan.steps().stream().map(PlanStep::kind).anyMatch(k -> k == kind);
    }

    @Test
    void aSnapshotThatFailsAfterTheCopyLeavesNoCopyAndTheDomainRunning() {
        FakeFirmwareContractTest.failAfterTheCopy(this);
    }

    /**
     * libvirt makes a TPM's state at the domain's first start: a base or snapshot taken before has no copy, and its
     * revert leaves the state the TPM has (as for a snapshot without a copy of the UEFI variables).
     */
    @Test
    void aSnapshotTakenBeforeTheTpmHadStateHasNoCopyAndItsRevertLeavesTheStateAlone() {
        FakeBed fake = (FakeBed) bed;
        String fresh = fake.newTpmDomain(List.of(DiskSpec.qcow2("vda", "b.qcow2")));
        fake.storage().remove(bed.tpmStateFile(fresh)); // never started
        DomainSnapshots f = bed.manager().domain(fresh);
        assertFalse(has(f.setup(bed.folder(fresh) + "/esm").plan(), StepKind.SAVE_TPM_STATE));
        f.setup(bed.folder(fresh) + "/esm").execute();
        fake.storage().addImage(bed.tpmStateFile(fresh), dev.esm.api.ImageFormat.RAW, 8 * 1024); // first start
        fake.storage().write(bed.tpmStateFile(fresh), 0, A);
        assertTrue(has(f.snapshot("s1").plan(), StepKind.SAVE_TPM_STATE));
        f.snapshot("s1").create();
        fake.storage().write(bed.tpmStateFile(fresh), 0, B);
        assertFalse(has(f.revert(DomainSnapshots.BASE).plan(), StepKind.RESTORE_TPM_STATE));
        f.revert(DomainSnapshots.BASE).execute();
        assertTrue(bed.fileReads(bed.tpmStateFile(fresh), B), "no copy of the base's: the state is left alone");
        f.revert("s1").execute();
        assertTrue(bed.fileReads(bed.tpmStateFile(fresh), A));
        assertEquals(List.of(), f.verify());
    }

    /** A TPM whose state was removed (libvirt makes a new one at the next start): a revert does not make it. */
    @Test
    void aRevertLeavesATpmStateThatWasRemovedToLibvirt() {
        d.setup(bed.folder(dom) + "/esm").execute();
        String s1 = create("s1");
        ((FakeBed) bed).storage().remove(vars);
        assertFalse(has(d.revert("s1").plan(), StepKind.RESTORE_TPM_STATE));
        d.revert("s1").execute();
        assertFalse(bed.host().storage().exists(vars));
        assertTrue(bed.host().storage().exists(s1), "the copy stays with its snapshot");
        assertEquals(List.of(), d.verify());
    }
}
