package dev.esm.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.Plan;
import dev.esm.api.PlanStep;
import dev.esm.api.StepKind;
import dev.esm.core.contract.Bed.DiskSpec;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Firmware state (docs/semantics.md, "Firmware variables"): for a domain with UEFI variables ({@code <nvram>}),
 * every snapshot keeps a copy of the variables file taken at its instant (a running domain paused for the copy),
 * setup keeps the base's, every revert puts the snapshot's back, delete removes it. Run on the fake and on the real
 * libvirtd with OVMF. {@link TpmContract} runs the same tests on an emulated TPM's state, through the hooks below.
 */
public abstract class FirmwareContract {
    protected static final int A = 0x41;
    protected static final int B = 0x42;
    protected static final int C = 0x43;
    protected static final int D = 0x44;

    protected Bed bed;
    protected String dom;
    protected DomainSnapshots d;
    protected String vars;

    /** @return a fresh bed for one test */
    protected abstract Bed openBed();

    /** @return a new shut-off domain with the firmware state under test */
    protected String newDomain(List<DiskSpec> disks) {
        return bed.newFirmwareDomain(disks);
    }

    /** @return the domain's file holding the firmware state under test */
    protected String stateFile(String domain) {
        return bed.firmwareFile(domain);
    }

    /** Changes the state of a shut-off domain: a pattern into the first 512 bytes of its file. */
    protected void writeState(int pattern) {
        bed.writeFirmware(dom, pattern);
    }

    /** @return the kind of step that copies the state to a snapshot's copy */
    protected StepKind saveKind() {
        return StepKind.SAVE_FIRMWARE;
    }

    /** @return the kind of step that puts a snapshot's copy back */
    protected StepKind restoreKind() {
        return StepKind.RESTORE_FIRMWARE;
    }

    /** @return the ending of a snapshot's copy's name */
    protected String suffix() {
        return ".nvram";
    }

    @BeforeEach
    void openTheBed() {
        bed = openBed();
        dom = newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
        d = bed.manager().domain(dom);
        vars = stateFile(dom);
    }

    @AfterEach
    void closeTheBed() {
        bed.close();
    }

    /** @return the firmware copy a plan saves or restores */
    protected static String copyIn(Plan plan, StepKind kind) {
        PlanStep s = plan.steps().stream().filter(p -> p.kind() == kind).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " in\n" + plan.render()));
        return kind == StepKind.SAVE_FIRMWARE || kind == StepKind.SAVE_TPM_STATE ? s.paths().get(0)
                : s.paths().get(1);
    }

    protected String create(String name) {
        var cmd = d.snapshot(name);
        String copy = copyIn(cmd.plan(), saveKind());
        d.snapshot(name).create();
        return copy;
    }

    @Test
    void everySnapshotKeepsTheFirmwareVariablesOfItsInstantAndEveryRevertPutsThemBack() {
        String original = bed.fileHash(vars);
        Plan setup = d.setup(bed.folder(dom) + "/esm").plan();
        String baseCopy = copyIn(setup, saveKind());
        d.setup(bed.folder(dom) + "/esm").execute();
        assertEquals(original, bed.fileHash(baseCopy), "setup keeps the base's variables");

        writeState(A);
        String s1 = create("s1");
        writeState(B);
        String s2 = create("s2");
        writeState(C);
        assertTrue(bed.fileReads(s1, A) && bed.fileReads(s2, B), "each copy holds its instant's variables");

        for (int round = 0; round < 2; round++) {
            assertEquals(s1, copyIn(d.revert("s1").plan(), restoreKind()));
            d.revert("s1").execute();
            assertTrue(bed.fileReads(vars, A), "revert s1 puts s1's variables back");
            writeState(D); // the guest changes a variable
            d.revert("s2").execute();
            assertTrue(bed.fileReads(vars, B));
        }
        assertTrue(bed.fileReads(s1, A) && bed.fileReads(s2, B), "a revert never changes a copy");
        d.revert(DomainSnapshots.BASE).execute();
        assertEquals(original, bed.fileHash(vars), "revert to base gives setup's variables");
        d.refresh().execute();
        assertEquals(original, bed.fileHash(vars));
        assertEquals(List.of(), d.verify(), "the copies belong to their snapshots: not stray files");
    }

    @Test
    void deletingASnapshotRemovesItsFirmwareCopyAndNothingElse() {
        d.setup(bed.folder(dom) + "/esm").execute();
        writeState(A);
        String s1 = create("s1");
        writeState(B);
        String s2 = create("s2");
        d.delete("s1").execute();
        String dir = s1.substring(0, s1.lastIndexOf('/'));
        assertFalse(bed.files(dir).contains(s1), "s1's copy went with it");
        assertTrue(bed.files(dir).contains(s2));
        d.revert("s2").execute();
        assertTrue(bed.fileReads(vars, B));
        d.commit(DomainSnapshots.BASE, "s2").execute();
        assertFalse(bed.files(dir).contains(s2), "committed away: its copy too");
        assertEquals(List.of(), d.verify());
    }

    @Test
    void aRunningDomainIsPausedForTheCopyAndTheSnapshotThenRunsAgain() {
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.start(dom);
        Plan plan = d.snapshot("live").plan();
        List<StepKind> kinds = plan.steps().stream().map(PlanStep::kind).toList();
        int pause = kinds.indexOf(StepKind.PAUSE_DOMAIN);
        assertTrue(pause >= 0 && pause < kinds.indexOf(saveKind())
                && kinds.indexOf(saveKind()) < kinds.indexOf(StepKind.CREATE_SNAPSHOT)
                && kinds.indexOf(StepKind.CREATE_SNAPSHOT) < kinds.indexOf(StepKind.RESUME_DOMAIN), plan.render());
        String copy = create("live");
        assertEquals(DomainState.RUNNING, d.state(), "running again after the snapshot");
        String atSnapshot = bed.fileHash(copy);
        bed.stop(dom);
        writeState(D);
        assertNotEquals(atSnapshot, bed.fileHash(vars));
        d.revert("live").execute();
        assertEquals(atSnapshot, bed.fileHash(vars), "the revert put the snapshot's variables back");
        assertEquals(atSnapshot, bed.fileHash(copy), "and left its copy as it was");
        assertEquals(List.of(), d.verify());
    }

    @Test
    void aPausedDomainStaysPausedAndADomainWithoutSetupKeepsItsCopiesBesideItsImages() {
        bed.start(dom);
        bed.pause(dom);
        Plan plan = d.snapshot("p1").plan();
        assertFalse(plan.steps().stream().anyMatch(s -> s.kind() == StepKind.PAUSE_DOMAIN
                || s.kind() == StepKind.RESUME_DOMAIN), plan.render());
        String copy = create("p1");
        assertEquals(DomainState.PAUSED, d.state());
        assertEquals(bed.folder(dom) + "/p1" + suffix(), copy, "beside the frozen image, named after the snapshot");
        bed.stop(dom);
        writeState(D);
        d.revert("p1").execute();
        assertEquals(bed.fileHash(copy), bed.fileHash(vars));
        assertEquals(List.of(), d.verify());
    }
}
