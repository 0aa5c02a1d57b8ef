package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.Snapshot;
import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.libvirt.testbed.LibvirtBed;
import dev.esm.libvirt.testbed.PausedChild;
import dev.esm.libvirt.testbed.TwoHosts;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A move between two libvirt daemons that share no storage (the host's libvirt 9.0 to libvirt 11.3 in a root of its
 * own, through its storage API) whose client is killed with SIGKILL to its process group at one point of the move,
 * then recovered from one side or the other ({@code recover()}, what {@code esm recover} runs): the domain is then
 * defined on exactly one host, with both snapshots and their data, consistent, and it starts there; nothing of it is
 * left on the other host. Before the target was verified the move is undone, after it completed.
 */
class TransferProcessesIT {
    /**
     * The lease time of this JVM's managers, the recoveries' connections to the other host included: the killed
     * client's lease on the target is taken over after it (2 s, for tests; the default 30 s is for deployments).
     */
    private static final String LEASE = "PT2S";
    private static final String LEASE_PROPERTY = "esm.leaseTtl";
    private String leaseBefore;
    private TwoHosts hosts;
    private LibvirtBed bed;
    /** Each domain's UUID, read before it was moved. */
    private final java.util.Map<String, String> uuids = new java.util.HashMap<>();

    @BeforeEach
    void open() {
        leaseBefore = System.setProperty(LEASE_PROPERTY, LEASE);
        hosts = new TwoHosts();
        bed = hosts.bed();
    }

    @AfterEach
    void close() throws Exception {
        try {
            hosts.close();
        } finally {
            if (leaseBefore == null) {
                System.clearProperty(LEASE_PROPERTY);
            } else {
                System.setProperty(LEASE_PROPERTY, leaseBefore);
            }
        }
    }

    /** Moves the domain in a child JVM that stops at {@code pause} ({@link PausedChild}) and kills it there. */
    private void killedMoving(String dom, String pause, String... live) throws Exception {
        String[] args = new String[4 + live.length];
        args[0] = dom;
        args[1] = "move";
        args[2] = hosts.otherUri();
        args[3] = hosts.there(dom);
        uuids.put(dom, hosts.uuid(dom));
        System.arraycopy(live, 0, args, 4, live.length);
        try (PausedChild child = new PausedChild(LibvirtBed.URI, pause, args)) {
            child.awaitPause();
            child.killGroup();
        }
    }

    /** @return the domain as this host's manager opens it, after {@code recover()} there found the move to finish */
    private DomainSnapshots recoveredHere(String dom) {
        DomainSnapshots d = bed.manager().domain(dom);
        assertTrue(d.recover(), "the move's journal was found here");
        return d;
    }

    /** Recovers from the target: {@code recover()} on the domain as the other host's manager opens it. */
    private void recoveredThere(String dom) {
        assertTrue(hosts.other().domain(dom).recover(), "the move's journal was found there");
    }

    /**
     * The move was undone: the domain is whole here (running as it was, for a live move), and nothing of it is on
     * the other host but the frozen files it had copied whole (kept, recorded, for the next run).
     */
    private void wholeHereOnly(String dom) {
        assertTrue(hosts.definedHere(dom), "the domain is here");
        noJournalNorLeaseLeft(dom);
        assertFalse(hosts.definedThere(dom), "and not on the other host");
        // A move stopped while copying keeps there only the frozen files it copied whole, for the next run.
        Set<String> active = new java.util.HashSet<>();
        dev.esm.core.xml.DomainXml.parse(LibvirtBed.run(List.of("virsh", "dumpxml", "--inactive", dom)))
                .activeImages().forEach(i -> active.add(dev.esm.core.model.Names.fileName(i.path())));
        Set<String> namesHere = new java.util.HashSet<>();
        hosts.filesHere(dom).forEach(f -> namesHere.add(dev.esm.core.model.Names.fileName(f)));
        for (String f : hosts.filesThere(dom)) {
            String name = dev.esm.core.model.Names.fileName(f);
            assertTrue(namesHere.contains(name) && !active.contains(name) && !name.endsWith(".fd"),
                    "only frozen copies are left on the other host, not " + f);
        }
        DomainSnapshots d = bed.manager().domain(dom);
        assertEquals(List.of("s1", "s2"), names(d));
        assertEquals(java.util.Optional.of("s2"), d.chain().current().map(Snapshot::name), "s2 is current");
        assertEquals(List.of(), d.check(), "consistent here");
        assertTrue(bed.reads(dom, "vda", 0x33), "the unsaved data");
        assertFalse(d.recover(), "nothing is left to recover");
        if (d.state().isActive()) {
            bed.stop(dom);
        }
        assertTrue(bed.imageReads(image(d, "s1"), 0x11), "s1's data");
        assertTrue(bed.imageReads(image(d, "s2"), 0x22), "s2's data");
        bed.start(dom);
        bed.stop(dom);
    }

    /**
     * The move was completed: the domain is whole on the other host (running, for a live move), and nothing of it
     * is here.
     */
    private void wholeThereOnly(String dom) {
        assertFalse(hosts.definedHere(dom), "the domain is gone from here");
        assertEquals(Set.of(), hosts.filesHere(dom), "no file of it is left here");
        assertTrue(hosts.definedThere(dom), "it is on the other host");
        noJournalNorLeaseLeft(dom);
        DomainSnapshots d = hosts.other().domain(dom);
        assertEquals(List.of("s1", "s2"), names(d));
        assertEquals(java.util.Optional.of("s2"), d.chain().current().map(Snapshot::name), "s2 is current");
        assertEquals(List.of(), d.check(), "consistent there");
        assertFalse(d.recover(), "nothing is left to recover");
        if (d.state().isActive()) {
            LibvirtBed.run(List.of("virsh", "-c", hosts.otherUri(), "destroy", dom));
        }
        assertTrue(hosts.imageReadsThere(image(d, "s1"), 0x11), "s1's data");
        assertTrue(hosts.imageReadsThere(image(d, "s2"), 0x22), "s2's data");
        DiskImage active = new DiskImage("vda", d.disks().get(0).source().orElseThrow(), image(d, "s2").format());
        assertTrue(hosts.imageReadsThere(active, 0x33), "the unsaved data");
        hosts.startsAndStopsThere(dom);
    }

    /** Neither host keeps the move's journal, nor the killed client's lease. */
    private void noJournalNorLeaseLeft(String dom) {
        String uuid = uuids.get(dom);
        assertEquals(List.of(), hosts.stateFiles(uuid).stream().filter(f -> f.contains(".transfer.")
                || f.contains(".lock.lease.")).toList(), "the move's journals and leases are gone from both hosts");
    }

    private static List<String> names(DomainSnapshots d) {
        return d.chain().snapshots().stream().map(Snapshot::name).sorted().toList();
    }

    private static DiskImage image(DomainSnapshots d, String snapshot) {
        return d.chain().get(snapshot).images().get(0);
    }

    @Test
    void killedInTheMiddleOfTheSecondFilesCopyAndRecoveredHereTheMoveIsUndoneAndThePartialCopyRemoved()
            throws Exception {
        String dom = hosts.domainWithTwoSnapshots();
        killedMoving(dom, "copy:2");
        assertFalse(hosts.filesThere(dom).isEmpty(), "the first file and part of the second were on the target");
        recoveredHere(dom);
        wholeHereOnly(dom);
    }

    @Test
    void killedAfterTheDefineOnTheTargetAndRecoveredThereTheMoveIsUndoneOnBothHosts() throws Exception {
        String dom = hosts.domainWithTwoSnapshots();
        killedMoving(dom, "after:DEFINE_ON_TARGET");
        assertTrue(hosts.definedThere(dom) && hosts.definedHere(dom), "defined on both hosts when killed");
        recoveredThere(dom);
        wholeHereOnly(dom);
    }

    @Test
    void killedAfterTheRedefineOnTheTargetAndRecoveredHereTheMoveIsUndone() throws Exception {
        String dom = hosts.domainWithTwoSnapshots();
        killedMoving(dom, "after:REDEFINE_ON_TARGET");
        recoveredHere(dom);
        wholeHereOnly(dom);
    }

    @Test
    void killedAsItVerifiesTheTargetAndRecoveredThereTheMoveIsUndone() throws Exception {
        String dom = hosts.domainWithTwoSnapshots();
        killedMoving(dom, "VERIFY_TARGET");
        recoveredThere(dom);
        wholeHereOnly(dom);
    }

    @Test
    void killedOnceTheTargetWasVerifiedAndRecoveredHereTheMoveIsCompleted() throws Exception {
        String dom = hosts.domainWithTwoSnapshots();
        killedMoving(dom, "after:VERIFY_TARGET");
        assertTrue(hosts.definedHere(dom), "nothing was removed here yet");
        recoveredHere(dom);
        wholeThereOnly(dom);
    }

    /**
     * Once the domain is undefined here, libvirt here no longer knows it; opening it here by its name finds the move
     * by the pointer it left, completes it (removing the files left here) and says where the domain went.
     */
    @Test
    void killedAfterTheUndefineHereBeforeItsFilesWereRemovedTheMoveIsCompletedWhenTheDomainIsOpenedHereByName()
            throws Exception {
        String dom = hosts.domainWithTwoSnapshots();
        killedMoving(dom, "after:UNDEFINE_DOMAIN");
        assertFalse(hosts.filesHere(dom).isEmpty(), "its files are still here");
        DomainNotFoundException told = assertThrows(DomainNotFoundException.class, () -> bed.manager().domain(dom));
        assertTrue(told.getMessage().contains("completed now"), told.getMessage());
        wholeThereOnly(dom);
    }

    /**
     * A running domain set up here with s1 (0x11), s2 (0x22) and 0x33 written after, by the guest's disk as it runs.
     */
    private String runningDomain() {
        String dom = bed.newBootableDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2")));
        hosts.track(dom);
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(TwoHosts.here(dom)).execute();
        bed.start(dom);
        bed.writeMemory(dom, 0x5a); // waits until the guest runs its boot sector, before a disk write covers it
        bed.write(dom, "vda", 0x11);
        d.snapshot("s1").create();
        bed.write(dom, "vda", 0x22);
        d.snapshot("s2").create();
        bed.write(dom, "vda", 0x33);
        return dom;
    }

    @Test
    void aLiveMoveKilledWithItsSnapshotsPutAsideJustBeforeTheMigrationAndRecoveredHereRunsOnHereWithThemBack()
            throws Exception {
        String dom = runningDomain();
        killedMoving(dom, "MIGRATE", "live:127.0.0.1");
        assertEquals(0, bed.manager().domain(dom).chain().snapshots().size(), "the snapshots were put aside");
        recoveredHere(dom);
        assertEquals(DomainState.RUNNING, bed.manager().domain(dom).state(), "the guest runs on here");
        wholeHereOnly(dom);
    }

    /**
     * Killed once libvirt's migration returned, before the journal said so: the domain runs on the target without
     * its snapshots and is gone here, so recovery runs from the target.
     */
    @Test
    void aLiveMoveKilledJustAfterTheMigrationAndRecoveredThereIsCompletedAndTheGuestRunsThere() throws Exception {
        String dom = runningDomain();
        killedMoving(dom, "after:MIGRATE", "live:127.0.0.1");
        // asked of libvirt: opening it here through ESM would finish the move from here
        assertFalse(LibvirtBed.run(List.of("virsh", "list", "--all", "--name")).lines().anyMatch(dom::equals),
                "migrated away");
        recoveredThere(dom);
        assertEquals(DomainState.RUNNING, hosts.other().domain(dom).state(), "the guest runs there");
        wholeThereOnly(dom);
    }

    /**
     * Killed while libvirt migrates the guest (the host's migration job shows RAM sent): libvirt ends the migration
     * its client left (on 9.0 and 11.3, the host's QEMU goes on running and the target's is destroyed), and recovery
     * puts the snapshots back here. Should the migration have ended first, the move is completed there instead:
     * either way the guest runs on exactly one host with its whole tree.
     */
    @Test
    void aLiveMoveKilledWhileLibvirtMigratesTheGuestRunsOnOneHostWithItsWholeTreeAfterRecovery() throws Exception {
        String dom = runningDomain();
        uuids.put(dom, hosts.uuid(dom));
        try (PausedChild child = new PausedChild(LibvirtBed.URI, "after:MIGRATE", dom, "move", hosts.otherUri(),
                hosts.there(dom), "live:127.0.0.1")) {
            child.awaitStarted("STEP MIGRATE");
            String job = "";
            while (!job.matches("(?s).*Memory processed:\\s+[1-9].*")) {
                assertTrue(child.alive() && hosts.definedHere(dom), "the migration ended before RAM was seen moving"
                        + child.transcript());
                job = LibvirtBed.run(List.of("virsh", "-c", LibvirtBed.URI, "domjobinfo", dom));
            }
            child.killGroup();
        }
        System.out.printf("killed while migrating: the domain is %s%n", hosts.definedHere(dom) ? "here (undone)"
                : "there (completed)");
        if (hosts.definedHere(dom)) {
            recoveredHere(dom);
            assertEquals(DomainState.RUNNING, bed.manager().domain(dom).state(), "the guest runs on here");
            wholeHereOnly(dom);
        } else {
            recoveredThere(dom);
            assertEquals(DomainState.RUNNING, hosts.other().domain(dom).state(), "the guest runs there");
            wholeThereOnly(dom);
        }
    }
}
