package dev.esm.core.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.PlanStep;
import dev.esm.api.StepKind;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import dev.esm.core.contract.Invariants;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run of overlay creations (one per disk) or of file removals is recorded in the journal as done by one write
 * at its end, not one per step. A process that stops inside such a run leaves steps done that the journal does not
 * show: recovery must treat the rest of the run as possibly done. With two disks (the fault-injection world) a stop
 * before a step can leave at most one unrecorded step behind; these domains have four, so a stop before the third or
 * fourth creation leaves two or three.
 */
class RecordedRunsTest {
    private static final List<DiskSpec> FOUR = List.of(DiskSpec.qcow2("vda", "a.qcow2"), DiskSpec.qcow2("vdb", "b.qcow2"),
            DiskSpec.qcow2("vdc", "c.qcow2"), DiskSpec.raw("vdd", "d.img"));

    /** Stands for a process killed between two steps. */
    static final class Halt extends Error {
        private static final long serialVersionUID = 1L;
    }

    /** @return the domain, set up, with {@code snapshots} taken */
    private static DomainSnapshots setUp(FakeBed bed, String dom, String... snapshots) {
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup("/fake/esm").execute();
        for (String s : snapshots) {
            d.snapshot(s).create();
        }
        return d;
    }

    private static int firstOf(List<PlanStep> steps, StepKind kind) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).kind() == kind) {
                return i;
            }
        }
        throw new AssertionError("no " + kind + " in " + steps);
    }

    /** Halts {@code op} before step {@code first + offset}, recovers in a new manager, checks the domain. */
    private static void haltAndRecover(FakeBed bed, String dom, Consumer<DomainSnapshots> op, int step,
                                       Set<String> before, Set<String> after) {
        bed.injecting((plan, i, st) -> {
            if (i == step) {
                throw new Halt();
            }
        });
        assertThrows(Halt.class, () -> op.accept(bed.manager().domain(dom)));
        bed.restart();
        DomainSnapshots d = bed.manager().domain(dom);
        assertEquals(List.of(), d.verify(), "verify after recovery from a halt before step " + (step + 1)
                + ": no overlay of the run may be left behind");
        Set<String> now = d.chain().snapshots().stream().map(dev.esm.api.Snapshot::name).collect(java.util.stream.Collectors.toSet());
        assertTrue(now.equals(before) || now.equals(after), "full effect or none: " + now);
        Invariants.check(bed, dom, Map.of());
        assertEquals(List.of(), bed.storage().violations());
    }

    @ParameterizedTest(name = "halt before overlay creation {0} of 4")
    @ValueSource(ints = {1, 2, 3})
    void aCreateHaltedInsideItsRunOfOverlaysLeavesNoOverlayBehind(int offset) {
        try (FakeBed bed = new FakeBed()) {
            String dom = bed.newDomain(FOUR);
            DomainSnapshots d = setUp(bed, dom, "s1");
            int first = firstOf(d.snapshot("s2").plan().steps(), StepKind.CREATE_OVERLAY);
            haltAndRecover(bed, dom, x -> x.snapshot("s2").create(), first + offset, Set.of("s1"), Set.of("s1", "s2"));
        }
    }

    @ParameterizedTest(name = "failure before overlay creation {0} of 4")
    @ValueSource(ints = {1, 2, 3})
    void aCreateFailingInsideItsRunOfOverlaysUndoesTheOnesMadeAtOnce(int offset) {
        // The run's steps run at once: a failure of one is reported after the others ended, and every overlay made
        // is removed before the failure reaches the caller (no recovery needed).
        try (FakeBed bed = new FakeBed()) {
            String dom = bed.newDomain(FOUR);
            DomainSnapshots d = setUp(bed, dom, "s1");
            int first = firstOf(d.snapshot("s2").plan().steps(), StepKind.CREATE_OVERLAY);
            bed.injecting((plan, i, st) -> {
                if (i == first + offset) {
                    throw new IllegalStateException("injected failure before step " + (i + 1));
                }
            });
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> bed.manager().domain(dom).snapshot("s2").create());
            assertTrue(e.getMessage().contains("injected"), e.getMessage());
            DomainSnapshots again = bed.manager().domain(dom); // the same manager: no recovery in between
            assertEquals(List.of(), again.verify(), "nothing left of the failed create");
            assertEquals(List.of("s1"), again.chain().snapshots().stream().map(dev.esm.api.Snapshot::name).toList());
            Invariants.check(bed, dom, Map.of());
            assertEquals(List.of(), bed.storage().violations());
        }
    }

    @ParameterizedTest(name = "halt before overlay creation {0} of 4")
    @ValueSource(ints = {1, 2, 3})
    void aRevertHaltedInsideItsRunOfOverlaysLeavesNoOverlayBehind(int offset) {
        try (FakeBed bed = new FakeBed()) {
            String dom = bed.newDomain(FOUR);
            DomainSnapshots d = setUp(bed, dom, "s1", "s2");
            int first = firstOf(d.revert("s1").plan().steps(), StepKind.CREATE_OVERLAY);
            haltAndRecover(bed, dom, x -> x.revert("s1").execute(), first + offset, Set.of("s1", "s2"),
                    Set.of("s1", "s2"));
        }
    }

    @ParameterizedTest(name = "halt before removal {0} of 4")
    @ValueSource(ints = {1, 2, 3})
    void aRevertHaltedInsideItsRunOfRemovalsIsCompleted(int offset) {
        try (FakeBed bed = new FakeBed()) {
            String dom = bed.newDomain(FOUR);
            DomainSnapshots d = setUp(bed, dom, "s1", "s2");
            int first = firstOf(d.revert("s1").plan().steps(), StepKind.REMOVE_FILE);
            haltAndRecover(bed, dom, x -> x.revert("s1").execute(), first + offset, Set.of("s1", "s2"),
                    Set.of("s1", "s2"));
            assertEquals("s1", bed.manager().domain(dom).chain().current().orElseThrow().name(),
                    "past its point of no return the revert is completed");
        }
    }

    @ParameterizedTest(name = "halt {0} steps after the merge")
    @ValueSource(ints = {1, 2, 3})
    void aLiveMiddleDeleteOfOneDiskHaltedAfterItsMergeIsCompleted(int offset) {
        // Its merge, the child's rewrite (left to the metadata removal) and the file removal get no journal write of
        // their own: a recovery repeats them all, and the child ends on the merged image.
        try (FakeBed bed = new FakeBed()) {
            String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
            DomainSnapshots d = setUp(bed, dom, "c0");
            bed.start(dom);
            d.snapshot("m1").create();
            d.snapshot("m2").create();
            int merge = firstOf(d.delete("m1").plan().steps(), StepKind.MERGE);
            haltAndRecover(bed, dom, x -> x.delete("m1").execute(), merge + offset, Set.of("c0", "m1", "m2"),
                    Set.of("c0", "m2"));
            assertEquals(List.of("c0", "m2"), bed.manager().domain(dom).chain().snapshots().stream()
                    .map(dev.esm.api.Snapshot::name).toList(), "past its merge the delete is completed");
        }
    }

    @ParameterizedTest(name = "failure {0} steps after the merge")
    @ValueSource(ints = {1, 2, 3})
    void aLiveMiddleDeleteOfOneDiskFailingAfterItsMergeLeavesTheChildOnTheMergedImage(int offset) {
        try (FakeBed bed = new FakeBed()) {
            String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
            DomainSnapshots d = setUp(bed, dom, "c0");
            bed.start(dom);
            d.snapshot("m1").create();
            d.snapshot("m2").create();
            int merge = firstOf(d.delete("m1").plan().steps(), StepKind.MERGE);
            bed.injecting((plan, i, st) -> {
                if (i == merge + offset) {
                    throw new IllegalStateException("injected failure before step " + (i + 1));
                }
            });
            assertThrows(IllegalStateException.class, () -> bed.manager().domain(dom).delete("m1").execute());
            bed.injecting((plan, i, st) -> { });
            DomainSnapshots again = bed.manager().domain(dom);
            assertEquals(List.of(), again.verify(), "the disk made consistent, the merged snapshot removed");
            Invariants.check(bed, dom, Map.of());
            assertEquals(List.of(), bed.storage().violations());
        }
    }
}
