package dev.esm.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainState;
import dev.esm.api.StepKind;
import dev.esm.api.errors.DomainStateException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.StorageException;
import dev.esm.api.errors.UnsupportedDiskException;
import dev.esm.core.xml.DomainXml;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlannerTest {
    private static final Instant NOW = Instant.parse("2026-11-25T21:00:00Z");

    private static DomainView view(DomainState state, String disks) {
        String xml = "<domain type='qemu'><name>vm</name><uuid>u</uuid><devices>" + disks + "</devices></domain>";
        var def = DomainXml.parse(xml);
        return new DomainView(state, def, state.isActive() ? Optional.of(def) : Optional.empty(), List.of(),
                Optional.empty());
    }

    private static String disk(String target, String type, String source, String format) {
        String src = type.equals("block") ? "<source dev='" + source + "'/>" : "<source file='" + source + "'/>";
        return "<disk type='" + type + "' device='disk'><driver name='qemu' type='" + format + "'/>" + src
                + "<target dev='" + target + "' bus='virtio'/></disk>";
    }

    @Test
    void createPlansOneOverlayPerDiskThenOneAtomicSnapshotThenRecordsTheBase() {
        var v = view(DomainState.SHUTOFF, disk("vda", "file", "/i/a.qcow2", "qcow2") + disk("vdb", "file", "/i/b.img", "raw"));
        var plan = Planner.create(v, "s1", "", false, p -> false, NOW);
        assertEquals(List.of(StepKind.CREATE_OVERLAY, StepKind.CREATE_OVERLAY, StepKind.CREATE_SNAPSHOT,
                StepKind.DEFINE_DOMAIN), plan.toApi().steps().stream().map(s -> s.kind()).toList());
        assertEquals(new Step.CreateOverlay("/i/a.after-s1.20261125-210000.qcow2",
                v.active().disk("vda").orElseThrow().image().orElseThrow()), plan.steps().get(0));
    }

    @Test
    void twoDisksOnOneFileAreRefused() {
        var v = view(DomainState.SHUTOFF, disk("vda", "file", "/i/a.qcow2", "qcow2") + disk("vdb", "file", "/i/a.qcow2", "qcow2"));
        var e = assertThrows(UnsupportedDiskException.class, () -> Planner.create(v, "s1", "", false, p -> false, NOW));
        assertTrue(e.getMessage().contains("both use /i/a.qcow2"), e.getMessage());
    }

    @Test
    void aBlockDiskNeedsSetupForItsOverlays() {
        var v = view(DomainState.SHUTOFF, disk("vda", "block", "/dev/vg/lv", "raw"));
        assertThrows(UnsupportedDiskException.class, () -> Planner.create(v, "s1", "", false, p -> false, NOW));
        var setup = SetupPlanner.setup(v, "/srv/vm", p -> false, NOW);
        assertTrue(setup.steps().stream().noneMatch(s -> s instanceof Step.MoveImage), "a block device is not moved");
    }

    @Test
    void aFormatThatIsNotNamedIsNeverProbed() {
        var v = view(DomainState.SHUTOFF, "<disk type='file' device='disk'><source file='/i/x'/><target dev='vda'/></disk>");
        var e = assertThrows(UnsupportedDiskException.class, () -> Planner.create(v, "s1", "", false, p -> false, NOW));
        assertTrue(e.getMessage().contains("never probed"), e.getMessage());
    }

    @Test
    void setupIsOfflineOnlyNeedsAnAbsoluteFolderAndNeverOverwrites() {
        String d = disk("vda", "file", "/i/a.qcow2", "qcow2");
        assertThrows(DomainStateException.class, () -> SetupPlanner.setup(view(DomainState.RUNNING, d), "/srv", p -> false, NOW));
        assertThrows(InvalidOperationException.class, () -> SetupPlanner.setup(view(DomainState.SHUTOFF, d), "rel", p -> false, NOW));
        assertThrows(StorageException.class, () -> SetupPlanner.setup(view(DomainState.SHUTOFF, d), "/srv",
                "/srv/disks/a.base"::equals, NOW));
    }

    @Test
    void setupRemovesTheOriginalNamesOnlyAfterTheDomainIsRedefined() {
        var plan = SetupPlanner.setup(view(DomainState.SHUTOFF, disk("vda", "file", "/i/a.qcow2", "qcow2")), "/srv/", p -> false, NOW);
        List<StepKind> kinds = plan.toApi().steps().stream().map(s -> s.kind()).toList();
        assertEquals(List.of(StepKind.MAKE_DIRECTORY, StepKind.MOVE_IMAGE, StepKind.CREATE_OVERLAY, StepKind.DEFINE_DOMAIN,
                StepKind.REMOVE_FILE), kinds);
        assertEquals(new Step.MoveImage("/i/a.qcow2", "/srv/disks/a.base"), plan.steps().get(1));
    }

    @Test
    void aQuiescedSnapshotNeedsARunningDomain() {
        var v = view(DomainState.SHUTOFF, disk("vda", "file", "/i/a.qcow2", "qcow2"));
        assertThrows(DomainStateException.class, () -> Planner.create(v, "s1", "", true, p -> false, NOW));
    }

    @Test
    void overlayNamesStayWithinTheFileSystemLimitEvenForLongImageAndSnapshotNames() {
        var v = view(DomainState.SHUTOFF, disk("vda", "file", "/i/" + "d".repeat(250) + ".qcow2", "qcow2"));
        var plan = Planner.create(v, "n".repeat(64), "", false, p -> p.endsWith("000.qcow2"), NOW);
        String overlay = ((Step.CreateOverlay) plan.steps().get(0)).path();
        assertTrue(overlay.contains("n".repeat(64)), overlay);
        assertTrue(dev.esm.core.model.Names.fits(dev.esm.core.model.Names.fileName(overlay)), overlay);
    }
}
