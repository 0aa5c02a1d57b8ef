package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Replication;
import dev.esm.api.SnapshotManager;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.libvirt.testbed.LibvirtBed;
import dev.esm.libvirt.testbed.SecondHost;
import dev.esm.libvirt.testbed.TwoHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;

/**
 * Moves and replications between two libvirt daemons that share no storage: the host's (libvirt 9.0) and the second
 * one's root (libvirt 11.3), the target reached through its storage API only, into a folder of its own root. Every
 * snapshot's data is checked after a move there and back; the domain starts on the other host; nothing of it is left
 * where it was.
 */
class TransferIT {
    private TwoHosts hosts;
    private LibvirtBed bed;
    private String otherUri;
    private SnapshotManager other;

    @BeforeEach
    void open() {
        hosts = new TwoHosts();
        bed = hosts.bed();
        otherUri = hosts.otherUri();
        other = hosts.other();
    }

    @AfterEach
    void close() throws Exception {
        hosts.close();
    }

    /**
     * A domain set up here with s1 (0x11), s2 (0x22, child of s1) and 0x33 unsaved in its active layer, its images in
     * a folder the other host does not see.
     */
    private String domain() {
        return hosts.domainWithTwoSnapshots();
    }

    private static String here(String dom) {
        return TwoHosts.here(dom);
    }

    private Set<String> filesHere(String dom) {
        return hosts.filesHere(dom);
    }

    private void startsAndStopsThere(String dom) {
        hosts.startsAndStopsThere(dom);
    }

    private boolean definedHere(String dom) {
        return hosts.definedHere(dom);
    }

    /** Redefines the domain on the other host with its persistent definition changed by {@code change}. */
    private void redefineThere(String dom, java.util.function.UnaryOperator<String> change) throws Exception {
        Connect c = new Connect(otherUri);
        try {
            org.libvirt.Domain d = c.domainLookupByName(dom);
            String xml = change.apply(d.getXMLDesc(1 | 2)); // secure, inactive
            d.free();
            c.domainDefineXML(xml).free();
        } finally {
            c.close();
        }
    }

    @Test
    void aDomainMovedToTheOtherHostAndBackKeepsEverySnapshotRunsThereAndLeavesNothingBehind() {
        String dom = domain();
        assertFalse(filesHere(dom).isEmpty());

        DomainSnapshots there = bed.manager().domain(dom).moveTo(other).path(SecondHost.folder(otherUri, dom))
                .execute();
        assertFalse(definedHere(dom), "the domain is gone from where it was");
        assertEquals(Set.of(), filesHere(dom), "no file of it is left where it was");
        assertEquals(List.of("s1", "s2"), there.chain().snapshots().stream().map(s -> s.name()).sorted().toList());
        assertEquals(List.of(), there.check(), "the domain there is consistent");
        startsAndStopsThere(dom);

        there.revert("s1").execute();
        there.moveTo(bed.manager()).path(SecondHost.hostOnlyFolder(dom) + "/back").execute();
        DomainSnapshots back = bed.manager().domain(dom);
        assertEquals(List.of(), back.check());
        assertTrue(bed.reads(dom, "vda", 0x11), "reverted to s1 there, it shows s1's data here");
        back.revert("s2").execute();
        assertTrue(bed.reads(dom, "vda", 0x22), "s2's data came there and back");
        LibvirtBed.run(List.of("virsh", "-c", otherUri, "list", "--all"));
        assertFalse(LibvirtBed.run(List.of("virsh", "-c", otherUri, "list", "--all", "--name")).lines()
                .anyMatch(dom::equals), "nothing of the domain is left on the other host");
    }

    @Test
    void aSecondReplicationSendsOnlyTheNewSnapshotsImageAndTheStandbyStartsThere() {
        String dom = domain();
        String folder = SecondHost.folder(otherUri, dom);
        Replication first = bed.manager().domain(dom).replicateTo(other).path(folder).execute();
        assertTrue(first.kept().isEmpty());
        assertTrue(definedHere(dom), "a replication leaves the domain where it is");
        bed.manager().domain(dom).snapshot("s3").create();
        Replication second = bed.manager().domain(dom).replicateTo(other).path(folder).execute();
        assertEquals(1, second.copied().size(), "only s3's image travels: " + second);
        assertTrue(second.kept().containsAll(first.copied()), second.toString());
        assertTrue(second.bytes() < first.bytes(), first.bytes() + " then " + second.bytes());
        assertEquals(3, other.domain(dom).chain().snapshots().size());
        startsAndStopsThere(dom);
    }

    @Test
    void aMemorySnapshotMovedThereAndBackRestoresTheGuestItSavedOnBothHosts() {
        String dom = bed.newBootableDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2")));
        hosts.track(dom);
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(here(dom)).execute();
        bed.start(dom);
        bed.writeMemory(dom, 0x5a);
        bed.write(dom, "vda", 0x44);
        d.snapshot("m1").memory().create();
        bed.writeMemory(dom, 0x6b);
        bed.stop(dom);

        DomainSnapshots there = d.moveTo(other).path(SecondHost.folder(otherUri, dom)).execute();
        there.revert("m1").running().execute();
        assertEquals(dev.esm.api.DomainState.RUNNING, there.state(), "libvirt 11.3 restored the moved memory file");
        LibvirtBed.run(List.of("virsh", "-c", otherUri, "destroy", dom));

        there.moveTo(bed.manager()).path(SecondHost.hostOnlyFolder(dom) + "/back").execute();
        DomainSnapshots back = bed.manager().domain(dom);
        back.revert("m1").running().execute();
        assertTrue(bed.memoryReads(dom, 0x5a), "the guest's RAM as m1 saved it, after two moves");
        assertTrue(bed.reads(dom, "vda", 0x44));
        bed.stop(dom);
    }

    @Test
    void aRunningGuestMovedLiveThereAndBackKeepsItsRamItsDiskAndEverySnapshot() {
        String dom = bed.newBootableDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2")));
        hosts.track(dom);
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(here(dom)).execute();
        bed.start(dom);
        bed.writeMemory(dom, 0x33); // waits until the guest runs its boot sector, before a disk write covers it
        bed.write(dom, "vda", 0x11);
        d.snapshot("s1").create();
        bed.write(dom, "vda", 0x22);
        bed.writeMemory(dom, 0x5a);

        DomainSnapshots there = d.moveTo(other).live().migrationAddress("127.0.0.1")
                .path(SecondHost.folder(otherUri, dom)).execute();
        assertEquals(dev.esm.api.DomainState.RUNNING, there.state(), "it runs on libvirt 11.3");
        assertFalse(definedHere(dom));
        assertEquals(Set.of(), filesHere(dom), "no file of it is left where it was");
        assertEquals(List.of("s1"), there.chain().snapshots().stream().map(s -> s.name()).toList());
        assertEquals(List.of(), there.check());

        there.moveTo(bed.manager()).live().migrationAddress("127.0.0.1").path(SecondHost.hostOnlyFolder(dom)
                + "/back").execute();
        DomainSnapshots back = bed.manager().domain(dom);
        assertEquals(dev.esm.api.DomainState.RUNNING, back.state());
        assertTrue(bed.memoryReads(dom, 0x5a), "the guest's RAM went there and back");
        assertTrue(bed.reads(dom, "vda", 0x22), "and what it wrote after s1");
        assertFalse(LibvirtBed.run(List.of("virsh", "-c", otherUri, "list", "--all", "--name")).lines()
                .anyMatch(dom::equals), "nothing of the domain is left on the other host");
        bed.stop(dom);
        back.revert("s1").execute();
        assertTrue(bed.reads(dom, "vda", 0x11), "s1 went there and back");
    }

    @Test
    void aDomainOnAMachineTypeTheOtherHostLacksIsRefusedBeforeAnythingMoves() throws Exception {
        String dom = domain();
        DomainSnapshots there = bed.manager().domain(dom).moveTo(other).path(SecondHost.folder(otherUri, dom))
                .execute();
        // On libvirt 11.3 'pc' stands for QEMU 10.0's newest i440fx machine, which QEMU 7.2 does not have.
        redefineThere(dom, xml -> xml.replaceFirst("machine='[^']*'", "machine='pc'"));
        dev.esm.api.errors.InvalidOperationException refused = org.junit.jupiter.api.Assertions.assertThrows(
                dev.esm.api.errors.InvalidOperationException.class,
                () -> there.moveTo(bed.manager()).path(SecondHost.hostOnlyFolder(dom) + "/back").execute());
        assertTrue(refused.getMessage().contains("machine type pc-i440fx-10"), refused.getMessage());
        assertFalse(definedHere(dom), "nothing was defined here");
        assertEquals(Set.of(), filesHere(dom), "nothing was copied here");
        assertEquals(2, other.domain(dom).chain().snapshots().size(), "the domain is whole there");
    }

    @Test
    void aDomainWithAnEmulatedTpmArrivesWithItsStateAndEachSnapshotsCopyAndSwtpmStartsOnIt() {
        String dom = bed.newTpmDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
        hosts.track(dom);
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(here(dom)).execute();
        bed.write(dom, "vda", 0x11);
        d.snapshot("s1").create();
        String stateHere = bed.tpmStateFile(dom);
        String atS1 = bed.fileHash(stateHere);
        bed.start(dom); // swtpm runs and keeps its state again: the current state differs from s1's copy
        bed.stop(dom);
        String now = bed.fileHash(stateHere);

        DomainSnapshots there = d.moveTo(other).path(SecondHost.folder(otherUri, dom)).execute();
        String stateThere = dev.esm.core.xml.DomainXml.parse(LibvirtBed.run(List.of("virsh", "-c", otherUri,
                "dumpxml", "--inactive", dom))).tpmState().orElseThrow();
        assertEquals(now, bed.fileHash(SecondHost.onThisMachine(otherUri, stateThere).toString()),
                "the TPM's state arrived byte for byte");
        assertFalse(Files.exists(Path.of(stateHere)), "and is gone here");
        startsAndStopsThere(dom); // swtpm, as the other root's tss, runs on the state it was given
        there.revert("s1").execute();
        assertEquals(atS1, bed.fileHash(SecondHost.onThisMachine(otherUri, stateThere).toString()),
                "s1's copy of the TPM's state came with it, and a revert there puts it back");
        assertTrue(there.check().isEmpty(), there.check().toString());

        LibvirtBed.run(List.of("virsh", "-c", otherUri, "start", dom));
        DomainSnapshots back = there.moveTo(bed.manager()).live().migrationAddress("127.0.0.1")
                .path(SecondHost.hostOnlyFolder(dom) + "/back").execute(); // QEMU's stream carries the TPM's state
        assertEquals(dev.esm.api.DomainState.RUNNING, back.state(), "it runs here again, with its TPM");
        bed.stop(dom);
        back.revert("s1").execute();
        assertEquals(atS1, bed.fileHash(bed.tpmStateFile(dom)), "s1's copy came back too");
    }

    @Test
    void aRunningGuestWhoseCpuTheOtherHostCannotGiveIsRefusedBeforeAnythingMoves() throws Exception {
        String dom = domain();
        DomainSnapshots there = bed.manager().domain(dom).moveTo(other).path(SecondHost.folder(otherUri, dom))
                .execute();
        // QEMU 10.0's TCG offers the fsrm feature; QEMU 7.2's does not.
        redefineThere(dom, xml -> xml.replaceFirst("</os>", "</os><cpu mode='custom' match='exact'>"
                + "<model fallback='forbid'>qemu64</model><feature policy='require' name='fsrm'/></cpu>"));
        LibvirtBed.run(List.of("virsh", "-c", otherUri, "start", dom));
        dev.esm.api.errors.InvalidOperationException refused = org.junit.jupiter.api.Assertions.assertThrows(
                dev.esm.api.errors.InvalidOperationException.class, () -> there.moveTo(bed.manager()).live()
                        .migrationAddress("127.0.0.1").path(SecondHost.hostOnlyFolder(dom) + "/back").execute());
        assertTrue(refused.getMessage().contains("guest CPU") && refused.getMessage().contains("fsrm"),
                refused.getMessage()); // ESM's refusal, with libvirt's reason, not a failed migration
        assertFalse(definedHere(dom), "nothing was defined here");
        assertEquals(Set.of(), filesHere(dom), "nothing was copied here");
        assertEquals(dev.esm.api.DomainState.RUNNING, there.state(), "the guest runs on there");
        assertEquals(2, there.chain().snapshots().size(), "with its whole tree");
        LibvirtBed.run(List.of("virsh", "-c", otherUri, "destroy", dom));
    }

    @Test
    void aRunningUefiGuestMovedLiveGetsItsVariablesAsItLeftThemAndRunsOnAndStartsAgainThere() throws Exception {
        String dom = bed.newFirmwareDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
        hosts.track(dom);
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(here(dom)).execute();
        d.snapshot("s1").create();
        bed.start(dom);
        Thread.sleep(2000); // OVMF boots and keeps its variables
        var plan = d.moveTo(other).live().migrationAddress("127.0.0.1").path(SecondHost.folder(otherUri, dom)).plan();
        assertTrue(plan.render().contains("firmware variables the guest left"), plan.render());

        DomainSnapshots there = d.moveTo(other).live().migrationAddress("127.0.0.1")
                .path(SecondHost.folder(otherUri, dom)).execute();
        assertEquals(dev.esm.api.DomainState.RUNNING, there.state(), "resumed there after its variables were copied");
        assertEquals(Set.of(), filesHere(dom), "no file of it is left where it was");
        String vars = dev.esm.core.xml.DomainXml.parse(LibvirtBed.run(List.of("virsh", "-c", otherUri, "dumpxml",
                "--inactive", dom))).nvram().orElseThrow();
        assertEquals(Files.size(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd")),
                Files.size(SecondHost.onThisMachine(otherUri, vars)), "the variables file there is whole");
        LibvirtBed.run(List.of("virsh", "-c", otherUri, "destroy", dom));
        startsAndStopsThere(dom); // a cold start there on the variables file it was given
        there.revert("s1").execute();
        assertEquals(List.of(), there.check());
    }
}
