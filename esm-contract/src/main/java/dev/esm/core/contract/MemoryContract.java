package dev.esm.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.Plan;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotInfo;
import dev.esm.api.SnapshotState;
import dev.esm.api.StepKind;
import dev.esm.api.errors.DomainStateException;
import dev.esm.api.errors.EsmException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.StorageException;
import dev.esm.core.contract.Bed.DiskSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Memory snapshots (docs/semantics.md, "The words" and "The operations"; docs/guide/06-memory-firmware-tpm.md): a
 * snapshot of RAM, devices and every eligible disk at one instant, reverted to a running or paused domain on fresh
 * overlays any number of times, its memory file never changed; a plain revert gives its disks, shut off. Run on the
 * fake and on the real libvirtd.
 */
public abstract class MemoryContract extends BedLifecycle {
    protected static final int A = 0x41;
    protected static final int B = 0x42;
    protected static final int C = 0x43;
    protected static final int D = 0x44;

    protected String dom;
    protected DomainSnapshots d;

    /** A set-up domain, started, whose RAM holds {@code ram} and disk {@code disk}. */
    protected void running(int ram, int disk) {
        dom = bed.newBootableDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2")));
        d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.start(dom);
        bed.writeMemory(dom, ram);
        bed.write(dom, "vda", disk);
    }

    protected Snapshot memorySnapshot(String name, int disk) {
        Snapshot s = d.snapshot(name).memory().create();
        expected.put(name, Map.of("vda", disk));
        check(dom);
        return s;
    }

    protected void scribble(int pattern) {
        bed.writeMemory(dom, pattern);
        bed.write(dom, "vda", pattern);
    }

    protected void assertMemory(int pattern) {
        assertTrue(bed.memoryReads(dom, pattern), dom + "'s RAM should hold pattern " + pattern);
    }

    protected String disksDir() {
        return bed.folder(dom) + "/esm/disks";
    }

    @Test
    void aMemorySnapshotRecordsItsMemoryFileBesideTheFrozenImages() {
        running(A, A);
        Snapshot m = memorySnapshot("m1", A);
        assertTrue(m.hasMemory());
        assertEquals(SnapshotState.RUNNING, m.state());
        String file = m.memoryFile().orElseThrow();
        assertTrue(file.startsWith(disksDir() + "/m1."), file);
        assertTrue(file.endsWith(".memory"), file);
        assertEquals(DomainState.RUNNING, d.state(), "the guest runs on after the snapshot");
        assertMemory(A);
        SnapshotInfo info = d.info("m1");
        assertTrue(info.memorySize().orElseThrow() > 0, "info shows the memory file's size");
        assertTrue(d.chain().get("m1").hasMemory(), "the chain shows which snapshots hold memory");
        assertFalse(d.chain().base().orElseThrow().hasMemory());
        assertTrue(d.info("base").memorySize().isEmpty());
        assertTrue(d.verify().isEmpty(), d.verify().toString());
    }

    @Test
    void revertRunningBringsBackTheSnapshotsMemoryAndDisksEveryTimeWithoutChangingTheMemoryFile() {
        running(A, A);
        Snapshot m = memorySnapshot("m1", A);
        String file = m.memoryFile().orElseThrow();
        String hash = bed.fileHash(file);
        DiskImage frozen = m.image("vda").orElseThrow();
        String frozenHash = bed.fileHash(frozen.path());
        scribble(B);
        for (int round = 0; round < 3; round++) {
            Snapshot back = d.revert("m1").running().execute();
            assertEquals("m1", back.name());
            assertEquals(DomainState.RUNNING, d.state(), "round " + round);
            assertMemory(A);
            assertReads(dom, "vda", A);
            assertNotEquals(frozen.path(), activeImage(true), "the domain runs on a fresh overlay");
            assertEquals(activeImage(false), activeImage(true), "the persistent definition is on the same overlay");
            check(dom);
            scribble(C + round);
            assertReads(dom, "vda", C + round);
            assertEquals(hash, bed.fileHash(file), "the memory file is never modified (round " + round + ")");
            assertEquals(frozenHash, bed.fileHash(frozen.path()), "the frozen image is never written");
        }
        assertEquals("m1", d.chain().current().orElseThrow().name());
        assertTrue(d.verify().isEmpty(), d.verify().toString());
    }

    @Test
    void revertPausedLeavesTheDomainPausedAtTheSnapshot() {
        running(A, A);
        memorySnapshot("m1", A);
        scribble(B);
        d.revert("m1").paused().execute();
        assertEquals(DomainState.PAUSED, d.state());
        assertMemory(A);
        bed.resume(dom);
        assertEquals(DomainState.RUNNING, d.state());
        assertMemory(A);
        assertReads(dom, "vda", A);
        check(dom);
    }

    @Test
    void aPlainRevertOfAMemorySnapshotGivesItsDisksShutOff() {
        running(A, A);
        memorySnapshot("m1", A);
        scribble(B);
        d.revert("m1").stopIfRunning().execute();
        assertEquals(DomainState.SHUTOFF, d.state());
        assertReads(dom, "vda", A);
        check(dom);
        d.revert("m1").running().execute();
        assertEquals(DomainState.RUNNING, d.state(), "a memory revert works from a shut-off domain too");
        assertMemory(A);
        check(dom);
    }

    @Test
    void branchesOfMemorySnapshotsEachComeBackWithTheirOwnState() {
        running(A, A);
        memorySnapshot("m1", A);
        scribble(B);
        memorySnapshot("m2", B);
        d.revert("m1").running().execute();
        scribble(C);
        Snapshot m3 = memorySnapshot("m3", C);
        assertEquals("m1", m3.parent().orElseThrow(), "a snapshot after a revert starts a branch");
        d.revert("m2").running().execute();
        assertMemory(B);
        assertReads(dom, "vda", B);
        d.revert("m3").paused().execute();
        assertMemory(C);
        bed.resume(dom);
        assertReads(dom, "vda", C);
        check(dom);
    }

    @Test
    void aPausedDomainsMemorySnapshotTakesEveryEligibleDiskAndLeavesTheCdromAlone() {
        dom = bed.newBootableDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2"), DiskSpec.raw("vdb", "data.img"),
                DiskSpec.cdrom("hdc", "install.iso")));
        d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.start(dom);
        bed.writeMemory(dom, A);
        bed.write(dom, "vda", A);
        bed.write(dom, "vdb", B);
        bed.pause(dom);
        Snapshot m = d.snapshot("m1").memory().create();
        expected.put("m1", Map.of("vda", A, "vdb", B));
        check(dom);
        assertEquals(SnapshotState.PAUSED, m.state());
        assertEquals(DomainState.PAUSED, d.state(), "a paused domain stays paused");
        assertEquals(List.of("vda", "vdb"), m.images().stream().map(DiskImage::target).toList());
        bed.resume(dom);
        bed.writeMemory(dom, C);
        bed.write(dom, "vda", C);
        bed.write(dom, "vdb", D);
        d.revert("m1").running().execute();
        assertEquals(DomainState.RUNNING, d.state());
        assertMemory(A);
        assertReads(dom, "vda", A);
        assertReads(dom, "vdb", B);
        check(dom);
    }

    @Test
    void aMemorySnapshotOfAShutOffDomainIsRefusedAndChangesNothing() {
        dom = bed.newBootableDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2")));
        d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        Set<String> files = bed.files(bed.folder(dom));
        String xml = bed.host().domainXml(dom, false);
        assertThrows(DomainStateException.class, () -> d.snapshot("m1").memory().create());
        assertThrows(DomainStateException.class, () -> d.snapshot("m1").memory().plan());
        assertEquals(files, bed.files(bed.folder(dom)));
        assertEquals(xml, bed.host().domainXml(dom, false));
        assertTrue(d.chain().snapshots().isEmpty());
    }

    @Test
    void revertRunningOfADiskOnlySnapshotOrTheBaseIsRefusedAndChangesNothing() {
        running(A, A);
        Snapshot s1 = d.snapshot("s1").create();
        expected.put("s1", Map.of("vda", A));
        assertFalse(s1.hasMemory());
        scribble(B);
        memorySnapshot("m1", B);
        String xml = bed.host().domainXml(dom, false);
        Set<String> files = bed.files(bed.folder(dom));
        assertThrows(InvalidOperationException.class, () -> d.revert("s1").running().execute());
        assertThrows(InvalidOperationException.class, () -> d.revert("s1").paused().execute());
        assertThrows(InvalidOperationException.class, () -> d.revert("base").running().execute());
        assertThrows(InvalidOperationException.class, () -> d.revert("m1").running().start().execute(),
                "running() and start() exclude each other");
        assertThrows(InvalidOperationException.class, () -> d.snapshot("q").memory().quiesce().create());
        assertEquals(DomainState.RUNNING, d.state());
        assertMemory(B);
        assertReads(dom, "vda", B);
        assertEquals(2, d.chain().snapshots().size());
        assertEquals(files, bed.files(bed.folder(dom)));
        assertEquals(xml, bed.host().domainXml(dom, false));
        check(dom);
    }

    @Test
    void aMissingMemoryFileIsRefusedBeforeAnythingChanges() {
        running(A, A);
        Snapshot m = memorySnapshot("m1", A);
        scribble(B);
        bed.host().storage().remove(m.memoryFile().orElseThrow());
        String xml = bed.host().domainXml(dom, false);
        assertThrows(StorageException.class, () -> d.revert("m1").running().execute());
        assertEquals(DomainState.RUNNING, d.state());
        assertEquals(xml, bed.host().domainXml(dom, false));
        assertReads(dom, "vda", B);
        assertFalse(d.verify().isEmpty(), "verify reports the missing memory file");
        d.revert("m1").stopIfRunning().execute();
        assertReads(dom, "vda", A);
    }

    @Test
    void aDamagedMemoryFileLeavesTheDomainShutOffOnTheSnapshotsDisks() {
        running(A, A);
        Snapshot m = memorySnapshot("m1", A);
        scribble(B);
        bed.damage(m.memoryFile().orElseThrow());
        assertThrows(EsmException.class, () -> d.revert("m1").running().execute());
        assertEquals(DomainState.SHUTOFF, d.state());
        assertReads(dom, "vda", A);
        assertTrue(d.verify().isEmpty(), "no unfinished operation, nothing orphaned: " + d.verify());
        check(dom);
    }

    @Test
    void deletingAMemorySnapshotRemovesItsMemoryFile() {
        running(A, A);
        Snapshot m = memorySnapshot("m1", A);
        scribble(B);
        d.delete("m1").execute();
        expected.remove("m1");
        assertFalse(bed.host().storage().exists(m.memoryFile().orElseThrow()));
        check(dom);
        assertTrue(d.verify().isEmpty(), d.verify().toString());
    }

    @Test
    void mergingAwayTheParentOfAMemorySnapshotKeepsItsRunningStateRevertable() {
        running(A, A);
        d.snapshot("s1").create();
        expected.put("s1", Map.of("vda", A));
        scribble(B);
        memorySnapshot("m2", B);
        scribble(C);
        d.delete("s1").execute();
        expected.remove("s1");
        check(dom);
        d.revert("m2").running().execute();
        assertMemory(B);
        assertReads(dom, "vda", B);
        check(dom);
        scribble(D);
        d.snapshot("s3").create();
        expected.put("s3", Map.of("vda", D));
        d.commit("base", "s3").execute();
        expected.remove("m2");
        expected.remove("s3");
        assertTrue(d.chain().find("m2").isEmpty(), "commit removed m2 as asked");
        check(dom);
        assertTrue(d.verify().isEmpty(), d.verify().toString());
    }

    @Test
    void thePlanShowsTheMemoryStepsAndChangesNothing() {
        running(A, A);
        Plan create = d.snapshot("m1").memory().plan();
        assertEquals(List.of(StepKind.CREATE_OVERLAY, StepKind.CREATE_SNAPSHOT),
                create.steps().stream().map(s -> s.kind()).toList());
        assertTrue(create.render().contains("memory"), create.render());
        assertTrue(d.chain().snapshots().isEmpty());
        memorySnapshot("m1", A);
        Plan revert = d.revert("m1").running().plan();
        assertEquals(List.of(StepKind.CREATE_OVERLAY, StepKind.STOP_DOMAIN, StepKind.DEFINE_DOMAIN),
                revert.steps().subList(0, 3).stream().map(s -> s.kind()).toList(),
                "the running domain is stopped only once its new overlays exist");
        assertEquals(StepKind.RESTORE_MEMORY, revert.steps().get(revert.steps().size() - 1).kind());
        assertEquals(DomainState.RUNNING, d.state());
    }

    private String activeImage(boolean live) {
        return dev.esm.core.xml.DomainXml.parse(bed.host().domainXml(dom, live)).disk("vda").orElseThrow().source()
                .orElseThrow();
    }
}
