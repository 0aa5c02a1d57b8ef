package dev.esm.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.Operation;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.EsmRecord;
import dev.esm.core.xml.DomainXml;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which files a move or replication sends, where they go, and in which order the steps come. */
class TransferPlannerTest {
    private static final String DIR = "/vms/vm/esm";
    private static final String ACTIVE = DIR + "/vda.top.qcow2";
    private static final String S1 = DIR + "/vda.s1.qcow2";
    private static final String BASE = "/images/vda.base";

    private static DomainDefinition domain() {
        String disk = "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" + ACTIVE
                + "'/><target dev='vda' bus='virtio'/></disk>";
        String xml = "<domain type='qemu'><name>vm</name><uuid>u</uuid><devices>" + disk + "</devices></domain>";
        String withRecord = DomainXml.rewrite(xml, Map.of(), Optional.of(new EsmRecord(Optional.of(DIR),
                List.of(new DiskImage("vda", BASE, ImageFormat.RAW)), Instant.EPOCH)));
        return DomainXml.parse(withRecord);
    }

    private static TransferFile image(String path, Optional<String> frozen, String backing, boolean relative) {
        return new TransferFile(path, 1000, frozen, Optional.ofNullable(backing).map(b -> new TransferFile.Backing(
                new DiskImage("vda", b, ImageFormat.QCOW2), relative)), path.equals(ACTIVE));
    }

    private static List<TransferFile> files() {
        return List.of(image(ACTIVE, Optional.empty(), S1, false), image(S1, Optional.of("snapshot:s1@0"), BASE,
                false), image(BASE, Optional.of("base@0"), null, false));
    }

    private static TransferPlanner.Input input(Operation op, Optional<String> dir, ReplicaRecord held) {
        return new TransferPlanner.Input(op, domain(), List.of(), Optional.empty(), files(), dir, held, false);
    }

    @Test
    void aMoveCopiesEveryFileVerifiesThenRemovesThemHere() {
        TransferPlan p = TransferPlanner.plan(input(Operation.MOVE, Optional.empty(), ReplicaRecord.empty()));
        List<TransferStep> steps = p.steps();
        long copies = steps.stream().filter(s -> s instanceof TransferStep.Copy).count();
        assertEquals(3, copies);
        int verify = steps.indexOf(new TransferStep.Verify());
        assertTrue(verify > 0 && steps.get(verify + 1) instanceof TransferStep.Undefine, steps.toString());
        assertEquals(verify + 1, p.firstChangeHere());
        assertEquals(3, steps.stream().filter(s -> s instanceof TransferStep.RemoveHere).count());
        assertFalse(steps.stream().anyMatch(s -> s instanceof TransferStep.Rebase), "same paths: no header changes");
    }

    @Test
    void intoAFolderFilesOfEsmsFolderKeepTheirPlaceOthersGoInByNameAndAbsoluteBackingsAreRebasedAfterEveryCopy() {
        TransferPlan p = TransferPlanner.plan(input(Operation.MOVE, Optional.of("/new/"), ReplicaRecord.empty()));
        assertEquals("/new/vda.top.qcow2", p.moved().get(ACTIVE));
        assertEquals("/new/vda.base", p.moved().get(BASE));
        int lastCopy = 0;
        int firstRebase = Integer.MAX_VALUE;
        for (int i = 0; i < p.steps().size(); i++) {
            if (p.steps().get(i) instanceof TransferStep.Copy) {
                lastCopy = i;
            }
            if (p.steps().get(i) instanceof TransferStep.Rebase && firstRebase == Integer.MAX_VALUE) {
                firstRebase = i;
            }
        }
        assertTrue(lastCopy < firstRebase, p.steps().toString());
        assertTrue(p.steps().contains(new TransferStep.Rebase("/new/vda.s1.qcow2",
                new DiskImage("vda", "/new/vda.base", ImageFormat.QCOW2))), p.steps().toString());
        String defined = p.steps().stream().filter(s -> s instanceof TransferStep.Define).map(s ->
                ((TransferStep.Define) s).xml()).findFirst().orElseThrow();
        assertTrue(defined.contains("/new/vda.top.qcow2") && !defined.contains(DIR), defined);
    }

    @Test
    void twoFilesThatWouldLandOnOnePathAreRefused() {
        List<TransferFile> clash = List.of(image(ACTIVE, Optional.empty(), "/a/x.img", false),
                image("/a/x.img", Optional.of("base@0"), null, false), image("/b/x.img", Optional.of("base@0"), null,
                        false));
        assertThrows(InvalidOperationException.class, () -> TransferPlanner.plan(new TransferPlanner.Input(
                Operation.MOVE, domain(), List.of(), Optional.empty(), clash, Optional.of("/new"),
                ReplicaRecord.empty(), false)));
    }

    @Test
    void aFrozenFileTheTargetHoldsForTheSameSnapshotAndSizeIsKeptAndOneOfAnotherSnapshotIsSent() {
        ReplicaRecord held = ReplicaRecord.empty().with(S1, new ReplicaRecord.Entry("snapshot:s1@0", 1000, 7))
                .with(BASE, new ReplicaRecord.Entry("base@1", 1000, 9));
        TransferPlan p = TransferPlanner.plan(input(Operation.MOVE, Optional.empty(), held));
        assertEquals(List.of(S1), p.kept());
        assertTrue(p.steps().contains(new TransferStep.Copy(BASE, BASE, 1000, Optional.of("base@0"))));
    }

    @Test
    void aReplicationMakesAnEmptyOverlayForTheActiveLayerRemovesWhatIsGoneAndRemovesNothingHere() {
        ReplicaRecord held = ReplicaRecord.empty().with(DIR + "/vda.gone.qcow2",
                new ReplicaRecord.Entry("snapshot:gone@0", 5, 1));
        TransferPlan p = TransferPlanner.plan(input(Operation.REPLICATE, Optional.empty(), held));
        assertTrue(p.steps().contains(new TransferStep.Overlay(ACTIVE, new DiskImage("vda", S1, ImageFormat.QCOW2))));
        assertTrue(p.steps().contains(new TransferStep.RemoveOnTarget(DIR + "/vda.gone.qcow2")));
        assertEquals(p.steps().size(), p.firstChangeHere());
    }

    @Test
    void onSharedStorageAMoveSendsOnlyDefinitionsAndAReplicationIsRefused() {
        TransferPlan p = TransferPlanner.plan(new TransferPlanner.Input(Operation.MOVE, domain(), List.of(),
                Optional.empty(), files(), Optional.empty(), ReplicaRecord.empty(), true));
        assertFalse(p.steps().stream().anyMatch(s -> s instanceof TransferStep.Copy
                || s instanceof TransferStep.RemoveHere), p.steps().toString());
        assertThrows(InvalidOperationException.class, () -> TransferPlanner.plan(new TransferPlanner.Input(
                Operation.REPLICATE, domain(), List.of(), Optional.empty(), files(), Optional.empty(),
                ReplicaRecord.empty(), true)));
    }

    @Test
    void theRecordAndTheJournalReadBackAsWritten() {
        ReplicaRecord r = ReplicaRecord.empty().with("/a b/c", new ReplicaRecord.Entry("snapshot:s@x", 12, -1L));
        assertEquals(r, ReplicaRecord.read(r.write()));
        assertEquals(ReplicaRecord.empty(), ReplicaRecord.read("garbage"));
        TransferJournal j = new TransferJournal(Operation.MOVE, "qemu:///system", "qemu+ssh://h/system",
                new TransferJournal.Access(dev.esm.api.ImageAccess.AUTO, dev.esm.api.ImageAccess.LIBVIRT_STORAGE), true,
                List.of("/h/1", "/h/2"), Map.of("/h/1", "/t/1")).making("/t/2").puttingAside(List.of("<a>\n</a>"),
                Optional.of("s1")).verifiedNow();
        assertEquals(j, TransferJournal.read(j.write()));
        assertTrue(TransferJournal.is(j.write()));
    }

    @Test
    void aJournalWrittenBeforeTheImageAccessWasKeptReachesBothHostsAsTheirUrisSay() {
        String older = "esm-transfer 1\nMOVE\nqemu+ssh://h/system\nqemu+unix:///system?socket=/s\nfalse\nCOPYING\n"
                + "made\t/t/a.qcow2\n";
        TransferJournal j = TransferJournal.read(older);
        assertEquals(TransferJournal.Access.AS_URI, j.access());
        assertEquals(List.of("/t/a.qcow2"), j.made());
    }
}
