package dev.esm.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.ImageFormat;
import dev.esm.api.SnapshotManager;
import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.api.errors.DomainStateException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The test kit as a user's unit test would use it. */
class InMemoryEsmTest {
    /** Code under test, as a user would write it: it knows only ESM's API. */
    static void resetToClean(SnapshotManager esm, String domain) {
        esm.domain(domain).revert("clean").stopIfRunning().execute();
    }

    @Test
    void aLabResetCanBeUnitTestedWithoutLibvirt() {
        try (InMemoryEsm esm = EsmTest.inMemory()) {
            DomainSnapshots web = esm.defineDomain("web").disk("vda").disk("vdb", ImageFormat.RAW, 1 << 20).define();
            web.snapshot("clean").create();
            esm.start("web");
            esm.write("web", "vda", 7);
            esm.write("web", "vdb", 8);

            resetToClean(esm, "web");

            assertEquals(DomainState.SHUTOFF, web.state());
            assertEquals("clean", web.chain().current().orElseThrow().name());
            assertEquals(0, esm.read("web", "vda"));
            assertEquals(0, esm.read("web", "vdb"));
            assertEquals(List.of(), web.verify());
            assertEquals(List.of(), esm.violations());
        }
    }

    @Test
    void snapshotsKeepTheirContentsThroughDeletesAndMerges() {
        InMemoryEsm esm = EsmTest.inMemory();
        DomainSnapshots vm = esm.defineDomain("vm").disk("vda").cdrom("sda").define();
        vm.setup("/vms/vm").execute();
        for (int i = 1; i <= 3; i++) {
            esm.write("vm", "vda", i);
            vm.snapshot("s" + i).create();
        }
        esm.write("vm", "vda", 4);
        vm.delete("s2").execute();             // merges s2's data into what s3 needs
        vm.revert("s3").execute();
        assertEquals(3, esm.read("vm", "vda"));
        vm.revert("s1").execute();
        assertEquals(1, esm.read("vm", "vda"));
        assertEquals(2, vm.chain().snapshots().size());
        assertEquals(List.of(), vm.verify());
        assertTrue(esm.files().stream().anyMatch(f -> f.startsWith("/vms/vm/disks/")), esm.files().toString());
        assertEquals(List.of(), esm.violations());
    }

    @Test
    void errorsAreTheRealOnes() {
        InMemoryEsm esm = EsmTest.inMemory();
        assertThrows(DomainNotFoundException.class, () -> esm.domain("nope"));
        DomainSnapshots vm = esm.defineDomain("vm").disk("vda").define();
        vm.snapshot("s1").create();
        esm.start("vm");
        assertThrows(DomainStateException.class, () -> vm.revert("s1").execute());
        assertEquals("fake:///memory", esm.uri());
    }
}
