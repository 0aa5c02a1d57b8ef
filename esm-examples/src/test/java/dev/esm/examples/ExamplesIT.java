package dev.esm.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotManager;
import dev.esm.junit5.ThrowawayDomain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each example program, run against the real libvirtd on a throwaway domain. */
class ExamplesIT {
    static final String URI = System.getenv().getOrDefault("ESM_TEST_URI", "qemu:///system");
    ThrowawayDomain lab;
    SnapshotManager esm;
    DomainSnapshots vm;
    final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);

    @BeforeEach
    void lab() throws Exception {
        lab = ThrowawayDomain.create(URI, "esm-example");
        esm = SnapshotManager.connect(URI);
        vm = esm.domain(lab.name());
        vm.setup(lab.folder() + "/snapshots").execute();
    }

    @AfterEach
    void cleanUp() {
        esm.close();
        lab.close();
    }

    private String output() {
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theSandboxLoopStartsFromTheCleanSnapshotEveryTimeAndEndsShutOff() {
        SandboxLoop.run(esm, lab.name(), 3, out);
        assertEquals(3, output().lines().filter(l -> l.startsWith("run ")).count(), output());
        assertEquals("clean", vm.chain().current().orElseThrow().name());
        assertEquals(DomainState.SHUTOFF, vm.state());
        assertEquals(List.of("clean"), vm.chain().snapshots().stream().map(Snapshot::name).toList());
    }

    @Test
    void theAuditLogWritesALinePerOperationWithItsOutcome() {
        try (SnapshotManager audited = SnapshotManager.builder(URI)
                .lockWait(java.time.Duration.ofSeconds(10))
                .listener(new AuditLog(out, java.time.Duration.ofDays(1)))
                .connect()) {
            AuditLog.run(audited, lab.name(), out);
        }
        List<String> lines = output().lines().filter(l -> l.startsWith("audit: ")).toList();
        assertEquals(4, lines.size(), output());
        assertTrue(lines.get(0).contains("CREATE audited on '" + lab.name() + "': SUCCEEDED"), lines.get(0));
        assertTrue(lines.get(1).contains("REVERT audited") && lines.get(1).contains("SUCCEEDED"), lines.get(1));
        assertTrue(lines.get(2).contains("DELETE audited") && lines.get(2).contains("SUCCEEDED"), lines.get(2));
        assertTrue(lines.get(3).contains("DELETE audited") && lines.get(3).contains("FAILED")
                && lines.get(3).contains("(0 steps)"), lines.get(3));
        assertTrue(vm.chain().snapshots().isEmpty());
    }

    @Test
    void aKeptUpgradeDeletesTheSnapshotAndARolledBackOneRevertsToIt() {
        SafeUpgrade.run(esm, lab.name(), () -> true, out);
        assertTrue(vm.chain().snapshots().isEmpty(), output());
        SafeUpgrade.run(esm, lab.name(), () -> false, out);
        assertEquals("pre-upgrade", vm.chain().current().orElseThrow().name(), output());
    }

    @Test
    void housekeepingKeepsOnlyTheNewestSnapshotsOnTheCurrentPath() {
        for (String s : List.of("a", "b", "c", "d", "e")) {
            vm.snapshot(s).create();
        }
        ChainHousekeeping.run(esm, lab.name(), 2, out);
        assertEquals(List.of("d", "e"), vm.chain().snapshots().stream().map(Snapshot::name).toList(), output());
        assertEquals("e", vm.chain().current().orElseThrow().name());
    }

    @Test
    void theDryRunPrintsPlansAndChangesNothing() {
        vm.snapshot("one").create();
        String before = vm.chain().render();
        DryRun.run(esm, lab.name(), out);
        assertTrue(output().contains("create on domain"), output());
        assertTrue(output().contains("delete on domain"), output());
        assertEquals(before, vm.chain().render());
    }
}
