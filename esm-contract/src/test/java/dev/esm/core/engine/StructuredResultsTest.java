package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Finding;
import dev.esm.api.Plan;
import dev.esm.api.PlanStep;
import dev.esm.api.Snapshot;
import dev.esm.api.StepKind;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Plans and findings carry what a program needs (kind, snapshot, disk, paths, bytes) without parsing sentences. */
class StructuredResultsTest {
    private final FakeBed bed = new FakeBed();

    private DomainSnapshots domain() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2"), DiskSpec.qcow2("vdb", "b.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup("/fake/esm").execute();
        return d;
    }

    @Test
    void aCreatePlanNamesTheSnapshotAndEachOverlayWithItsDiskAndBackingImage() {
        DomainSnapshots d = domain();
        Plan plan = d.snapshot("s1").plan();
        List<PlanStep> overlays = plan.steps().stream().filter(s -> s.kind() == StepKind.CREATE_OVERLAY).toList();
        assertEquals(List.of("vda", "vdb"), overlays.stream().map(s -> s.disk().orElseThrow()).sorted().toList());
        for (PlanStep o : overlays) {
            assertEquals(2, o.paths().size(), o.toString());
            assertTrue(o.description().contains(o.paths().get(0)) && o.description().contains(o.paths().get(1)));
        }
        PlanStep snapshot = plan.steps().stream().filter(s -> s.kind() == StepKind.CREATE_SNAPSHOT).findFirst()
                .orElseThrow();
        assertEquals(Optional.of("s1"), snapshot.snapshot());
        assertEquals(overlays.stream().map(o -> o.paths().get(0)).sorted().toList(),
                snapshot.paths().stream().sorted().toList(), "the snapshot is taken on the overlays");
    }

    @Test
    void aMergeStepInADryRunCarriesItsDiskTopBaseAndTheBytesItCopies() {
        DomainSnapshots d = domain();
        d.snapshot("s1").create();
        bed.write(d.name(), "vda", 0x41);
        d.snapshot("s2").create();
        bed.write(d.name(), "vda", 0x42);
        Snapshot s2 = d.find("s2").orElseThrow();
        Plan plan = d.delete("s2").plan();
        List<PlanStep> merges = plan.steps().stream().filter(s -> s.kind() == StepKind.MERGE).toList();
        assertEquals(2, merges.size(), plan.render());
        for (PlanStep m : merges) {
            String disk = m.disk().orElseThrow();
            String top = m.paths().get(0);
            long expected = bed.storage().info(top, dev.esm.api.ImageFormat.QCOW2).actualSize();
            assertEquals(expected, m.bytes().orElseThrow(), "the top image's allocation: " + m);
            assertTrue(s2.image(disk).isPresent());
        }
        assertTrue(merges.stream().anyMatch(m -> m.bytes().getAsLong() > 0), "vda holds written data");
    }

    @Test
    void aMissingImageIsFoundWithItsKindSnapshotDiskAndPath() {
        DomainSnapshots d = domain();
        d.snapshot("s1").create();
        String frozen = d.find("s1").orElseThrow().image("vdb").orElseThrow().path();
        bed.storage().remove(frozen);
        List<Finding> found = d.check();
        Finding missing = found.stream().filter(f -> f.kind() == Finding.Kind.IMAGE_MISSING).findFirst()
                .orElseThrow(() -> new AssertionError(found.toString()));
        assertEquals(Optional.of("s1"), missing.snapshot());
        assertEquals(Optional.of("vdb"), missing.disk());
        assertEquals(Optional.of(frozen), missing.path());
        assertEquals(found.stream().map(Finding::message).toList(), d.verify(), "verify() is check() in words");
    }

    @Test
    void aStrayFileIsFoundAsSuch() {
        DomainSnapshots d = domain();
        d.snapshot("s1").create();
        String dir = "/fake/esm/disks";
        bed.storage().addImage(dir + "/stray.qcow2", dev.esm.api.ImageFormat.QCOW2, 1 << 20);
        Finding stray = d.check().stream().filter(f -> f.kind() == Finding.Kind.STRAY_FILE).findFirst()
                .orElseThrow();
        assertEquals(Optional.of(dir + "/stray.qcow2"), stray.path());
    }
}
