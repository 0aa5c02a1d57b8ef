package dev.esm.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainState;
import dev.esm.api.StepKind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Firmware state against the in-memory fake host, plus failures only the fake can stage. */
class FakeFirmwareContractTest extends FirmwareContract {
    @Override
    protected Bed openBed() {
        return new FakeBed();
    }

    @Test
    void aSnapshotThatFailsAfterTheCopyLeavesNoCopyAndTheDomainRunning() {
        failAfterTheCopy(this);
    }

    /** Also run for a TPM's state ({@link FakeTpmContractTest}). */
    static void failAfterTheCopy(FirmwareContract c) {
        c.d.setup(c.bed.folder(c.dom) + "/esm").execute();
        c.bed.start(c.dom);
        String copy = copyIn(c.d.snapshot("s1").plan(), c.saveKind());
        FakeBed fake = (FakeBed) c.bed;
        fake.injecting((plan, index, step) -> {
            if (step.describe().kind() == StepKind.CREATE_SNAPSHOT) {
                throw new IllegalStateException("injected");
            }
        });
        assertThrows(IllegalStateException.class, () -> fake.manager().domain(c.dom).snapshot("s1").create());
        fake.restart();
        var again = fake.manager().domain(c.dom);
        assertEquals(DomainState.RUNNING, again.state(), "the pause was undone");
        assertFalse(fake.files(copy.substring(0, copy.lastIndexOf('/'))).contains(copy), "the copy was removed");
        assertTrue(again.chain().snapshots().isEmpty());
        assertEquals(List.of(), again.verify());
    }
}
