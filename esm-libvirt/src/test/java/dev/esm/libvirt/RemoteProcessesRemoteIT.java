package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.core.contract.Bed.DiskSpec;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.internal.jobs.MergeHelpers;
import dev.esm.libvirt.testbed.ChildOperation;
import dev.esm.libvirt.testbed.IsolatedClient;
import dev.esm.libvirt.testbed.RemoteBed;

/**
 * Clients on different machines (each an {@link IsolatedClient}: its own namespace and client state folder,
 * nothing shared but the remote host) working on one remote domain: they serialise on the lease kept on the
 * host, and a client killed in the middle of an offline merge leaves a journal on the host that another client
 * finds and recovers, taking over the dead client's lease.
 */
class RemoteProcessesRemoteIT {
    private RemoteBed bed;

    @BeforeAll
    static void shortLeases() {
        System.setProperty("esm.leaseTtl", "PT3S"); // how long this client waits for a dead client's lease
    }

    @AfterAll
    static void defaultLeases() {
        System.clearProperty("esm.leaseTtl");
    }

    @BeforeEach
    void open() {
        bed = new RemoteBed();
    }

    @AfterEach
    void close() {
        bed.close();
    }

    private Process client(String dom, String... op) throws Exception {
        String[] args = new String[op.length + 2];
        args[0] = bed.uriOfBed();
        args[1] = dom;
        System.arraycopy(op, 0, args, 2, op.length);
        return IsolatedClient.java(ChildOperation.class, args).redirectErrorStream(true).start();
    }

    private static String output(Process p) throws Exception {
        return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void twoClientsOnTwoMachinesCreatingSnapshotsOnOneDomainSerialiseAndBothSucceed() throws Exception {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2"), DiskSpec.raw("vdb", "data.img")));
        bed.manager().domain(dom).setup(bed.folder(dom) + "/esm").execute();
        Process a = client(dom, "create", "from-a");
        Process b = client(dom, "create", "from-b");
        String outA = output(a);
        String outB = output(b);
        assertTrue(a.waitFor(120, TimeUnit.SECONDS) && b.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, a.exitValue(), outA);
        assertEquals(0, b.exitValue(), outB);
        DomainSnapshots d = bed.manager().domain(dom);
        Set<String> names = new TreeSet<>(d.chain().snapshots().stream().map(Snapshot::name).toList());
        assertEquals(Set.of("from-a", "from-b"), names);
        assertTrue(d.verify().isEmpty(), d.verify().toString());
        String parentOfB = d.chain().get("from-b").parent().orElse("");
        String parentOfA = d.chain().get("from-a").parent().orElse("");
        assertTrue(parentOfB.equals("from-a") || parentOfA.equals("from-b"),
                "one was taken after the other: " + parentOfA + " / " + parentOfB);
    }

    @Test
    void aClientKilledDuringAnOfflineMergeIsRecoveredByAnotherClientWithEverySnapshotIntact() throws Exception {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "big.qcow2").size(2L << 30)));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.write(dom, "vda", 0x41);
        d.snapshot("s1").create();
        bed.writeLarge(dom, "vda", 0x42, 1500L << 20);
        d.snapshot("s2").create();
        bed.write(dom, "vda", 0x43);
        Process p = client(dom, "delete", "s1"); // merges s2's 1.5 GiB into s1's image in a helper domain
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        boolean merging = false;
        while (!merging && System.nanoTime() < deadline && p.isAlive()) {
            merging = helperHolding(bed.folder(dom));
            Thread.sleep(20);
        }
        assertTrue(merging && p.isAlive(), "killed while the helper domain was merging");
        Thread.sleep(300);
        new ProcessBuilder("kill", "-9", "--", "-" + p.pid()).start().waitFor();
        p.waitFor(10, TimeUnit.SECONDS);

        // This test process is another client. Opening the domain (a read) does not wait for the dead client's lease:
        // a read says the domain may be busy. A recovery (as any change would) waits the lease out, takes it over and
        // completes the delete from the journal on the host.
        DomainSnapshots after = bed.manager().domain(dom);
        assertTrue(after.operationInProgress().isPresent(), "the dead client's lease is still there");
        assertTrue(after.recover(), "the dead client's delete was found and recovered");
        assertTrue(after.lastRecovery().orElseThrow().describe().contains("s1"), "it names the snapshot deleted");
        assertTrue(after.verify().isEmpty(), after.verify().toString());
        assertTrue(after.chain().find("s1").isEmpty(), "the delete was completed");
        assertTrue(bed.imageReads(after.chain().get("s2").images().get(0), 0x42), "s2 reads as before, host-side");
        assertTrue(bed.reads(dom, "vda", 0x43), "the current state is unchanged");
        after.revert("s2").execute();
        assertTrue(bed.reads(dom, "vda", 0x42));
        // The dead client's helper died with its connection (or was destroyed as a leftover); the recovering
        // client's own helper is kept for its next merge, with no image open.
        assertTrue(!helperHolding(bed.folder(dom)), "no merge helper holds an image of the domain");
    }

    /** @return whether a merge helper (of any client) has an image of {@code folder} open */
    private boolean helperHolding(String folder) {
        LibvirtHost h = bed.libvirtHost();
        return h.runningDomainNames().stream().filter(n -> n.startsWith(MergeHelpers.PREFIX)).anyMatch(n -> {
            try {
                return h.domainXml(n, true).contains(folder);
            } catch (RuntimeException gone) {
                return false;
            }
        });
    }
}
