package consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import dev.esm.junit5.EsmThrowawayDomain;
import dev.esm.test.EsmTest;
import dev.esm.test.InMemoryEsm;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The test kits through the installed artifacts: esm-test (no libvirt) and esm-junit5 (the real libvirtd). */
class TestKitTest {
    /** Code a user would test: it knows only ESM's API. */
    static void resetToClean(SnapshotManager esm, String domain) {
        esm.domain(domain).revert("clean").stopIfRunning().execute();
    }

    @Test
    void inMemory() {
        try (InMemoryEsm esm = EsmTest.inMemory()) {
            esm.defineDomain("web").disk("vda").define().snapshot("clean").create();
            esm.write("web", "vda", 42);
            resetToClean(esm, "web");
            assertEquals(0, esm.read("web", "vda"));
        }
    }

    @Nested
    @EsmThrowawayDomain(prefix = "esm-consumer", snapshot = "clean")
    class OnLibvirt {
        @Test
        void aThrowawayDomainStartsFromItsSnapshot(DomainSnapshots vm, SnapshotManager esm) {
            assertEquals("clean", vm.chain().current().orElseThrow().name());
            vm.snapshot("mine").create();
            resetToClean(esm, vm.name());
            assertEquals("clean", vm.chain().current().orElseThrow().name());
        }
    }
}
