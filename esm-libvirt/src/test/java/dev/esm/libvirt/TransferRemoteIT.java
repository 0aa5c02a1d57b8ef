package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.ImageAccess;
import dev.esm.api.Replication;
import dev.esm.api.SnapshotManager;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.libvirt.testbed.AbstractLibvirtBed;
import dev.esm.libvirt.testbed.LibvirtBed;
import dev.esm.libvirt.testbed.RemoteBed;
import dev.esm.libvirt.testbed.SecondHost;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * Moves and replications where one side is reached over {@code qemu+ssh}: the host's libvirt 9.0 as the remote ITs
 * reach it ({@link RemoteBed}: this client cannot see its images, every byte of them comes through libvirt's
 * storage API streams over ssh, its journals and leases are kept in libvirt), and libvirt 11.3 in a root of its own
 * ({@link SecondHost#uriFromHost}: on its UNIX socket, which the remote ITs' namespace keeps, through its storage
 * API into a folder of its root that the host does not see). The domain's files here are in a folder of the host's
 * that the root does not see either, so nothing is shared storage.
 */
class TransferRemoteIT {
    private RemoteBed bed;
    private String otherUri;
    private SnapshotManager other;
    private final List<String> names = new ArrayList<>();
    /** The UUIDs of those domains: their replica records and tree indexes on the other host are removed after. */
    private final List<String> uuids = new ArrayList<>();

    @BeforeEach
    void open() {
        bed = new RemoteBed();
        otherUri = SecondHost.uriFromHost(bed.shell());
        other = SnapshotManager.connect(otherUri, ImageAccess.LIBVIRT_STORAGE);
    }

    @AfterEach
    void close() throws Exception {
        Connect c = new Connect(otherUri);
        Connect here = new Connect(bed.uriOfBed());
        try {
            for (String name : names) {
                try {
                    org.libvirt.Domain d = c.domainLookupByName(name);
                    if (d.isActive() == 1) {
                        d.destroy();
                    }
                    d.undefine(AbstractLibvirtBed.UNDEFINE_ALL);
                    d.free();
                } catch (LibvirtException gone) {
                    // not there
                }
                AbstractLibvirtBed.dropTransientPoolsUnder(c, SecondHost.folder(otherUri, name));
                AbstractLibvirtBed.dropTransientPoolsUnder(here, SecondHost.hostOnlyFolder(name));
                bed.shell().removeTree(SecondHost.onThisMachine(otherUri, SecondHost.folder(otherUri, name))
                        .toString());
                bed.shell().removeTree(SecondHost.hostOnlyFolder(name));
            }
        } finally {
            here.close();
            c.close();
            other.close();
            bed.close();
            // What ESM keeps of the domains in both hosts' state folders (a target's replica record stays after a
            // move, by design; tree indexes), once no manager is open; then both state pools see it gone.
            String state = dev.esm.api.Settings.DEFAULT_HOST_STATE_DIRECTORY;
            for (String uuid : uuids) {
                bed.shell().script("rm -f -- \"$1\"/\"$3\".* \"$2\"/\"$3\".*", state,
                        SecondHost.onThisMachine(otherUri, state).toString(), uuid);
            }
            if (!uuids.isEmpty()) {
                bed.shell().script("virsh -q -c qemu:///system pool-refresh esm-state >/dev/null; virsh -q -c \"$1\""
                        + " pool-refresh esm-state >/dev/null", otherUri);
            }
        }
    }

    /**
     * A domain set up on the host with s1 (0x11), s2 (0x22, child of s1) and 0x33 unsaved in its active layer, its
     * base in the bed's folder and ESM's folder in one the other host does not see.
     */
    private String domain() {
        String dom = track(bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2"))));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(here(dom)).execute();
        bed.write(dom, "vda", 0x11);
        d.snapshot("s1").create();
        bed.write(dom, "vda", 0x22);
        d.snapshot("s2").create();
        bed.write(dom, "vda", 0x33);
        return dom;
    }

    /** @return the domain, removed from both hosts after the test (with what ESM keeps of it on the other host) */
    private String track(String dom) {
        names.add(dom);
        uuids.add(dev.esm.core.xml.DomainXml.parse(bed.host().domainXml(dom, false)).uuid());
        return dom;
    }

    private static String here(String dom) {
        return SecondHost.hostOnlyFolder(dom) + "/esm";
    }

    /** @return the domain's files on the host (through ssh: this client cannot see them) */
    private Set<String> filesHere(String dom) {
        Set<String> files = new TreeSet<>(bed.files(bed.folder(dom)));
        files.addAll(bed.files(SecondHost.hostOnlyFolder(dom)));
        return files;
    }

    /** @return the domain's files in its folder on the other host (as the host's shell sees the root) */
    private Set<String> filesThere(String dom) {
        return bed.files(SecondHost.onThisMachine(otherUri, SecondHost.folder(otherUri, dom)).toString());
    }

    private boolean definedThere(String dom) {
        return LibvirtBed.run(List.of("virsh", "-c", otherUri, "list", "--all", "--name")).lines()
                .anyMatch(dom::equals);
    }

    private boolean definedHere(String dom) {
        try {
            bed.manager().domain(dom);
            return true;
        } catch (dev.esm.api.errors.DomainNotFoundException e) {
            return false;
        }
    }

    private static List<String> names(DomainSnapshots d) {
        return d.chain().snapshots().stream().map(s -> s.name()).sorted().toList();
    }

    @Test
    void aDomainMovedFromAnSshHostToTheOtherAndBackKeepsEverySnapshotAndLeavesNothingBehind() {
        String dom = domain();
        assertFalse(filesHere(dom).isEmpty());

        DomainSnapshots there = bed.manager().domain(dom).moveTo(other).path(SecondHost.folder(otherUri, dom))
                .execute();
        assertFalse(definedHere(dom), "the domain is gone from the ssh host");
        assertEquals(Set.of(), filesHere(dom), "no file of it is left on the ssh host");
        assertEquals(List.of("s1", "s2"), names(there));
        assertEquals(List.of(), there.check(), "the domain there is consistent");
        LibvirtBed.run(List.of("virsh", "-c", otherUri, "start", dom));
        LibvirtBed.run(List.of("virsh", "-c", otherUri, "destroy", dom));

        there.moveTo(bed.manager()).path(SecondHost.hostOnlyFolder(dom) + "/back").execute();
        DomainSnapshots back = bed.manager().domain(dom);
        assertEquals(List.of(), back.check());
        assertEquals(List.of("s1", "s2"), names(back));
        assertTrue(bed.reads(dom, "vda", 0x33), "what was written after s2, never saved, went there and back");
        back.revert("s1").execute();
        assertTrue(bed.reads(dom, "vda", 0x11), "s1's data went there and back");
        back.revert("s2").execute();
        assertTrue(bed.reads(dom, "vda", 0x22), "s2's data went there and back");
        assertFalse(definedThere(dom), "nothing of the domain is left on the other host");
        assertEquals(Set.of(), filesThere(dom), "no file of it is left there");
    }

    @Test
    void aSecondReplicationFromAnSshHostSendsOnlyTheNewSnapshotsImage() {
        String dom = domain();
        String folder = SecondHost.folder(otherUri, dom);
        Replication first = bed.manager().domain(dom).replicateTo(other).path(folder).execute();
        // The base, s1's and s2's images; not the active layer.
        assertEquals(3, first.copied().size(), first.toString());
        assertTrue(first.kept().isEmpty(), first.toString());
        assertEquals(2, first.snapshots());
        assertTrue(definedHere(dom), "a replication leaves the domain where it is");

        bed.manager().domain(dom).snapshot("s3").create();
        Replication second = bed.manager().domain(dom).replicateTo(other).path(folder).execute();
        assertEquals(1, second.copied().size(), "only s3's image travels: " + second);
        assertEquals(Set.copyOf(first.copied()), Set.copyOf(second.kept()), second.toString());
        assertTrue(second.removed().isEmpty(), second.toString());
        assertEquals(3, second.snapshots());
        assertTrue(second.bytes() > 0 && second.bytes() < first.bytes(), first.bytes() + " then " + second.bytes());
        assertEquals(List.of("s1", "s2", "s3"), names(other.domain(dom)));
        assertEquals(List.of(), other.domain(dom).check(), "the standby is consistent");
        assertTrue(bed.reads(dom, "vda", 0x33), "the domain here is as it was");
        LibvirtBed.run(List.of("virsh", "-c", otherUri, "start", dom));
        LibvirtBed.run(List.of("virsh", "-c", otherUri, "destroy", dom));
    }

    /** A stop the move does not see (not an exception it undoes at once), as a client killed there would be. */
    private static final class Stopped extends Error {
        Stopped() {
            super("stopped half-way, as a killed client");
        }
    }

    /** @return the state files of the domain's transfers on the other host (its journal, its replica record) */
    private Set<String> transferStateThere(String uuid) {
        String state = SecondHost.onThisMachine(otherUri, dev.esm.api.Settings.DEFAULT_HOST_STATE_DIRECTORY)
                .toString();
        Set<String> found = new TreeSet<>();
        for (String f : bed.files(state)) {
            if (f.contains(uuid + ".transfer") || f.contains(uuid + ".replica")) {
                found.add(f);
            }
        }
        return found;
    }

    @Test
    void aMoveFromAnSshHostStoppedHalfWayIsUndoneOnBothHostsByTheNextClientThere() {
        String dom = domain();
        String uuid = uuids.get(uuids.size() - 1);
        Set<String> before = filesHere(dom);
        Set<String> sent = ConcurrentHashMap.newKeySet();
        assertThrows(Stopped.class, () -> bed.manager().domain(dom).moveTo(other)
                .path(SecondHost.folder(otherUri, dom)).progress(p -> {
                    if (sent.add(p.disk()) && sent.size() == 2) {
                        throw new Stopped(); // in the second file, after the first was copied
                    }
                }).execute());
        assertEquals(1, filesThere(dom).size(), "the first file was copied there");
        assertFalse(transferStateThere(uuid).isEmpty(), "the move's journal is on the other host too");

        // Another client of the ssh host opens the domain: it finishes the move, reaching the other host by the URI
        // the journal names, as the move reached it (through its storage API).
        try (SnapshotManager next = SnapshotManager.connect(bed.uriOfBed())) {
            assertTrue(next.domain(dom).recover(), "there was a move to finish");
            assertEquals(List.of(), next.domain(dom).check());
        }
        // The one file copied whole was a frozen image: it stays there, recorded, so that the next run does not send
        // it again; the move's journal there is gone.
        Set<String> frozen = new java.util.HashSet<>();
        bed.manager().domain(dom).chain().snapshots().forEach(s -> s.images().forEach(i -> frozen.add(
                dev.esm.core.model.Names.fileName(i.path()))));
        for (String f : filesThere(dom)) {
            assertTrue(frozen.contains(dev.esm.core.model.Names.fileName(f)), "only frozen copies stay there, not " + f);
        }
        assertTrue(transferStateThere(uuid).stream().noneMatch(f -> f.contains(uuid + ".transfer")),
                "the move's journal there is gone: " + transferStateThere(uuid));
        assertFalse(definedThere(dom));
        assertEquals(before, filesHere(dom), "the domain is whole on the ssh host");
        assertTrue(bed.reads(dom, "vda", 0x33));
        assertEquals(List.of("s1", "s2"), names(bed.manager().domain(dom)));
    }

    @Test
    void aRunningGuestMovedLiveFromAnSshHostThereAndBackKeepsItsRamItsDiskAndItsSnapshot() {
        String dom = track(bed.newBootableDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2"))));
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
        assertEquals(DomainState.RUNNING, there.state(), "it runs on libvirt 11.3");
        assertFalse(definedHere(dom));
        assertEquals(Set.of(), filesHere(dom), "no file of it is left on the ssh host");
        assertEquals(List.of("s1"), names(there));
        assertEquals(List.of(), there.check());

        there.moveTo(bed.manager()).live().migrationAddress("127.0.0.1")
                .path(SecondHost.hostOnlyFolder(dom) + "/back").execute();
        DomainSnapshots back = bed.manager().domain(dom);
        assertEquals(DomainState.RUNNING, back.state());
        assertTrue(bed.memoryReads(dom, 0x5a), "the guest's RAM went there and back");
        assertTrue(bed.reads(dom, "vda", 0x22), "and what it wrote after s1");
        assertFalse(definedThere(dom), "nothing of the domain is left on the other host");
        assertEquals(Set.of(), filesThere(dom), "no file of it is left there");
        bed.stop(dom);
        back.revert("s1").execute();
        assertTrue(bed.reads(dom, "vda", 0x11), "s1 went there and back");
    }
}
