package dev.esm.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.Disk;
import dev.esm.api.DiskImage;
import dev.esm.api.DomainState;
import dev.esm.api.ImageFormat;
import dev.esm.api.Ineligibility;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.StorageException;
import dev.esm.api.errors.UnsupportedDiskException;
import dev.esm.core.xml.DomainXml;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The planner's answers to unusual disks (docs/guide/10-troubleshooting.md, "Unusual disks"): refused up front, or
 * planned right.
 */
class UnusualDisksPlannerTest {
    private static final Instant NOW = Instant.parse("2026-11-25T21:00:00Z");

    private static DomainView view(String disks) {
        var def = DomainXml.parse("<domain type='qemu'><name>vm</name><uuid>u</uuid><devices>" + disks
                + "</devices></domain>");
        return new DomainView(DomainState.SHUTOFF, def, Optional.empty(), List.of(), Optional.empty());
    }

    private static String disk(String target, String source, String inner) {
        return "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" + source + "'>"
                + inner + "</source><target dev='" + target + "' bus='virtio'/></disk>";
    }

    @Test
    void anEncryptedDiskIsRefusedForSetupAndSnapshotsNamingTheDisk() {
        var v = view(disk("vda", "/i/a.qcow2", "") + disk("vdb", "/i/b.qcow2",
                "<encryption format='luks'><secret type='passphrase' uuid='x'/></encryption>"));
        var e = assertThrows(UnsupportedDiskException.class, () -> SetupPlanner.setup(v, "/srv/vm", p -> false, NOW));
        assertTrue(e.getMessage().contains("vdb") && e.getMessage().contains("encrypted")
                && e.getMessage().contains("snapshot='no'"), e.getMessage());
        assertThrows(UnsupportedDiskException.class, () -> Planner.create(v, "s1", "", false, p -> false, NOW));
    }

    /** disks() and create agree: every disk create refuses is reported with its reason, and no other. */
    @Test
    void disksReportsEveryDiskCreateRefusesAndCreateRefusesNoDiskReportedEligible() {
        String luks = "<encryption format='luks'><secret type='passphrase' uuid='x'/></encryption>";
        String slice = "<slices><slice type='storage' offset='1048576' size='1048576'/></slices>";
        Map<String, Optional<Ineligibility>> cases = Map.of(
                disk("vda", "/i/a.qcow2", ""), Optional.empty(),
                disk("vda", "/i/a.qcow2", luks), Optional.of(Ineligibility.ENCRYPTED),
                disk("vda", "/i/a.img", slice), Optional.of(Ineligibility.SLICED),
                disk("vda", "/i/a&#10;b.qcow2", ""), Optional.of(Ineligibility.CONTROL_CHARACTER_IN_PATH),
                disk("vda", "/i/a.qcow2", "").replace(" type='qcow2'", ""), Optional.of(Ineligibility.UNSUPPORTED_FORMAT),
                disk("vda", "/i/a.vmdk", "").replace("'qcow2'", "'vmdk'"), Optional.of(Ineligibility.UNSUPPORTED_FORMAT));
        cases.forEach((xml, reason) -> {
            var v = view(xml);
            Disk reported = v.persistent().disks().get(0).toApi();
            assertEquals(reason.map(Set::of).orElse(Set.of()), reported.ineligible(), xml);
            if (reported.eligible()) {
                Planner.create(v, "s1", "", false, p -> false, NOW);
            } else {
                assertFalse(reported.ineligible().iterator().next().leavesOut(), xml);
                assertThrows(UnsupportedDiskException.class, () -> Planner.create(v, "s1", "", false, p -> false, NOW),
                        xml);
            }
        });
    }

    @Test
    void anEncryptedDiskInTheOldPlaceUnderDiskIsRefusedToo() {
        var v = view("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/i/a.qcow2'/>"
                + "<target dev='vda' bus='virtio'/><encryption format='luks'/></disk>");
        assertThrows(UnsupportedDiskException.class, () -> Planner.create(v, "s1", "", false, p -> false, NOW));
    }

    @Test
    void aDiskOnASliceOfItsFileIsRefused() {
        var v = view(disk("vda", "/i/a.img", "<slices><slice type='storage' offset='1048576' size='1048576'/></slices>"));
        var e = assertThrows(UnsupportedDiskException.class, () -> Planner.create(v, "s1", "", false, p -> false, NOW));
        assertTrue(e.getMessage().contains("slice"), e.getMessage());
    }

    @Test
    void aPathWithANewlineOrTabIsRefusedWithTheReason() {
        for (String odd : List.of("/i/a\nb.qcow2", "/i/a\tb.qcow2", "/i/a\rb.qcow2")) {
            var v = view(disk("vda", odd.replace("\n", "&#10;").replace("\t", "&#9;").replace("\r", "&#13;"), ""));
            assertEquals(odd, v.persistent().disk("vda").orElseThrow().source().orElseThrow());
            var e = assertThrows(UnsupportedDiskException.class, () -> Planner.create(v, "s1", "", false, p -> false,
                    NOW));
            assertTrue(e.getMessage().contains("turned into a space"), e.getMessage());
        }
        var ok = view(disk("vda", "/i/a.qcow2", ""));
        assertThrows(InvalidOperationException.class, () -> SetupPlanner.setup(ok, "/srv/a\nb", p -> false, NOW));
    }

    @Test
    void setupRefusesAFolderWhoseOverlayPathsWouldNotFitAQcow2Header() {
        var v = view(disk("vda", "/i/disk.qcow2", ""));
        // disks/ + "disk.after-<64>.yyyyMMdd-HHmmss-9999.qcow2" (102 bytes) must fit 1023 bytes
        String fits = "/" + "a".repeat(1023 - "/disks/".length() - 102 - 1);
        SetupPlanner.setup(v, fits, p -> false, NOW);
        var e = assertThrows(StorageException.class, () -> SetupPlanner.setup(v, fits + "b", p -> false, NOW));
        assertTrue(e.getMessage().contains("1024 bytes") && e.getMessage().contains("at most 1023"), e.getMessage());
    }

    @Test
    void setupRefusesAnImageThatIsASymbolicLinkNamingWhereItPoints() {
        var v = view(disk("vda", "/i/link.qcow2", ""));
        var facts = new SetupFacts(Map.of("/i/link.qcow2", "real/a.qcow2"), Map.of());
        var e = assertThrows(UnsupportedDiskException.class, () -> SetupPlanner.setup(v, "/srv", p -> false, NOW, facts));
        assertTrue(e.getMessage().contains("symbolic link to /i/real/a.qcow2"), e.getMessage());
    }

    @Test
    void setupPointsAMovedImageWithARelativeBackingNameAtItsAbsolutePath() {
        var v = view(disk("vda", "/i/top.qcow2", "") + disk("vdb", "/i/abs.qcow2", ""));
        DiskImage mid = new DiskImage("?", "/i/mid.qcow2", ImageFormat.QCOW2);
        var facts = new SetupFacts(Map.of(), Map.of(
                "/i/top.qcow2", new SetupFacts.Backing("mid.qcow2", mid, true),
                "/i/abs.qcow2", new SetupFacts.Backing("/i/mid.qcow2", mid, true)));
        var plan = SetupPlanner.setup(v, "/srv", p -> false, NOW, facts);
        List<Step> rebases = plan.steps().stream().filter(s -> s instanceof Step.Rebase).toList();
        assertEquals(List.of(new Step.Rebase("/srv/disks/top.base", mid)), rebases,
                "only the relative name is rewritten, on the placed image");
        int move = plan.steps().indexOf(new Step.MoveImage("/i/top.qcow2", "/srv/disks/top.base"));
        assertEquals(move + 1, plan.steps().indexOf(rebases.get(0)), "right after it is placed");
    }

    @Test
    void setupRefusesARelativeBackingNameWithoutARecordedFormat() {
        var v = view(disk("vda", "/i/top.qcow2", ""));
        var facts = new SetupFacts(Map.of(), Map.of("/i/top.qcow2",
                new SetupFacts.Backing("mid.qcow2", new DiskImage("?", "/i/mid.qcow2", ImageFormat.QCOW2), false)));
        var e = assertThrows(UnsupportedDiskException.class, () -> SetupPlanner.setup(v, "/srv", p -> false, NOW, facts));
        assertTrue(e.getMessage().contains("qemu-img rebase -u -F"), e.getMessage());
    }
}
