package dev.esm.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainState;
import dev.esm.api.errors.HypervisorException;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Memory snapshots against the in-memory fake host, plus what only the fake can stage. */
class FakeMemoryContractTest extends MemoryContract {
    @Override
    protected Bed openBed() {
        return new FakeBed();
    }

    @Test
    void noSpaceForTheMemoryFileLeavesNoSnapshotNoFileAndTheDomainRunning() {
        running(A, A);
        FakeBed fake = (FakeBed) bed;
        Set<String> files = bed.files(bed.folder(dom));
        String xml = bed.host().domainXml(dom, false);
        fake.host().memorySpace(5);
        assertThrows(HypervisorException.class, () -> d.snapshot("m1").memory().create());
        fake.host().memorySpace(-1);
        assertEquals(files, bed.files(bed.folder(dom)), "no overlay and no partial memory file is left");
        assertEquals(xml, bed.host().domainXml(dom, false));
        assertTrue(d.chain().snapshots().isEmpty());
        assertEquals(DomainState.RUNNING, d.state());
        assertMemory(A);
        assertTrue(d.verify().isEmpty(), d.verify().toString());
        memorySnapshot("m1", A);
    }
}
