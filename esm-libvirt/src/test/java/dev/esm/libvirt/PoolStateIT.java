package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.ImageAccess;
import dev.esm.api.errors.DomainBusyException;
import dev.esm.core.model.Names;
import dev.esm.core.port.Storage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Journals and leases kept on the host through libvirt's storage API, with two clients (two connections, each
 * with its own PoolStorage) as two machines would have: exclusion, heartbeats that keep a lease alive, take-over
 * of a lease whose holder stopped beating, and journals that survive a torn write.
 */
class PoolStateIT {
    private static final String TTL = "esm.leaseTtl";
    private LibvirtHost a;
    private LibvirtHost b;
    private String key;

    @BeforeEach
    void open() {
        System.setProperty(TTL, "PT1.5S");
        a = new LibvirtHost(LibvirtBed.URI, ImageAccess.LIBVIRT_STORAGE);
        b = new LibvirtHost(LibvirtBed.URI, ImageAccess.LIBVIRT_STORAGE);
        key = Names.join(a.storage().stateDirectory(), "it-" + UUID.randomUUID());
    }

    @AfterEach
    void close() {
        System.clearProperty(TTL);
        a.storage().remove(key + ".lock.lease");
        a.storage().remove(key + ".journal");
        a.close();
        b.close();
    }

    @Test
    void aLeaseExcludesAnotherClientUntilReleasedAndItsHeartbeatOutlivesTheLeaseTime() throws Exception {
        Storage.Lease held = a.storage().lock(key + ".lock", Duration.ofSeconds(1));
        long t0 = System.nanoTime();
        // Waiting longer than two lease times: the holder's heartbeat keeps the lease from looking stale.
        assertThrows(DomainBusyException.class, () -> b.storage().lock(key + ".lock", Duration.ofMillis(3500)));
        assertTrue(System.nanoTime() - t0 >= 3_000_000_000L, "b waited before giving up");
        held.close();
        try (Storage.Lease mine = b.storage().lock(key + ".lock", Duration.ofSeconds(2))) {
            assertThrows(DomainBusyException.class, () -> a.storage().lock(key + ".lock", Duration.ofMillis(200)));
        }
    }

    @Test
    void aLeaseWhoseHolderStoppedBeatingIsTakenOverAfterTheLeaseTime() throws Exception {
        // A client that died holding the lease: the volume exists and never changes.
        String lease = key + ".lock.lease";
        Path content = Files.createTempFile("lease", "");
        Files.writeString(content, String.format("%-100.100s %020d%n", "dead-client 1@nowhere", 7));
        String name = lease.substring(lease.lastIndexOf('/') + 1);
        List<String> virsh = List.of("virsh", "-c", LibvirtBed.URI);
        LibvirtBed.run(concat(virsh, "vol-create-as", "--pool", existingPool(), name, "122", "--format", "raw"));
        LibvirtBed.run(concat(virsh, "vol-upload", "--pool", existingPool(), name, content.toString()));
        Files.delete(content);
        try (Storage.Lease taken = b.storage().lock(key + ".lock", Duration.ofSeconds(10))) {
            Optional<String> now = Optional.of(LibvirtBed.run(concat(virsh, "vol-download", "--pool", existingPool(),
                    name, "/dev/stdout")));
            assertTrue(!now.get().contains("dead-client"), "the lease now names its new holder: " + now.get());
        }
    }

    /** The state pool's name (by its target path: pools of other tests may come and go meanwhile). */
    private String existingPool() {
        String name = NativeLibvirt.poolNameByTargetPath(((PoolStorage) a.storage()).connection(),
                a.storage().stateDirectory());
        if (name == null) {
            throw new IllegalStateException("no pool over " + a.storage().stateDirectory());
        }
        return name;
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> out = new java.util.ArrayList<>(head);
        out.addAll(List.of(tail));
        return out;
    }

    @Test
    void thePoolOverAFolderIsFoundByItsTargetPathInOneCall() {
        String state = a.storage().stateDirectory();
        String xml = LibvirtBed.run(List.of("virsh", "-c", LibvirtBed.URI, "pool-dumpxml",
                NativeLibvirt.poolNameByTargetPath(((PoolStorage) a.storage()).connection(), state)));
        assertTrue(xml.contains("<path>" + state + "</path>"), xml);
        assertEquals(null, NativeLibvirt.poolNameByTargetPath(((PoolStorage) a.storage()).connection(),
                "/nonexistent/" + UUID.randomUUID()));
    }

    @Test
    void aJournalWrittenByOneClientIsReadByAnotherAndATornWriteLeavesThePreviousContent() throws Exception {
        String journal = key + ".journal";
        a.storage().writeAtomically(journal, "<journal n='1'/>");
        a.storage().writeAtomically(journal, "<journal n='2'/>");
        assertEquals(Optional.of("<journal n='2'/>"), b.storage().read(journal));
        // A client killed while uploading version 3 leaves the slot it wrote (the older one, slot 0) torn.
        String name = journal.substring(journal.lastIndexOf('/') + 1);
        Path torn = Files.createTempFile("torn", "");
        Files.writeString(torn, String.format("%-63s%n<journal n='3", "esm2 3 16 12345678"));
        List<String> virsh = List.of("virsh", "-c", LibvirtBed.URI);
        LibvirtBed.run(concat(virsh, "vol-upload", "--pool", existingPool(), name, torn.toString(), "--offset", "0"));
        Files.delete(torn);
        assertEquals(Optional.of("<journal n='2'/>"), b.storage().read(journal));
        b.storage().remove(journal);
        assertEquals(Optional.empty(), a.storage().read(journal));
    }

    @Test
    void aJournalLargerThanItsSlotRegionIsReadWholeAndTheNextSmallOneReplacesIt() {
        String journal = key + ".journal";
        String big = "<journal>" + "x".repeat(3 * HostState.REGION) + "</journal>";
        a.storage().writeAtomically(journal, big);
        assertEquals(Optional.of(big), b.storage().read(journal));
        b.storage().writeAtomically(journal, "<journal n='small'/>");
        assertEquals(Optional.of("<journal n='small'/>"), a.storage().read(journal));
        a.storage().writeAtomically(journal, big + big);
        assertEquals(Optional.of(big + big), b.storage().read(journal));
    }

    @Test
    void aJournalWrittenByAnotherClientWhileThisOneWaitedIsNotOverwrittenFromStaleMemory() throws Exception {
        String journal = key + ".journal";
        try (Storage.Lease la = a.storage().lock(key + ".lock", Duration.ofSeconds(2))) {
            a.storage().writeAtomically(journal, "<journal n='a1'/>");
        }
        try (Storage.Lease lb = b.storage().lock(key + ".lock", Duration.ofSeconds(2))) {
            assertEquals(Optional.of("<journal n='a1'/>"), b.storage().read(journal));
            b.storage().writeAtomically(journal, "<journal n='b1'/>");
            b.storage().writeAtomically(journal, "<journal n='b2'/>");
        }
        try (Storage.Lease la = a.storage().lock(key + ".lock", Duration.ofSeconds(2))) {
            // a remembers writing slot 0 with sequence 1; b wrote sequences 2 (slot 1) and 3 (slot 0) since.
            // Writing from that memory would put sequence 2 into slot 1, older than b's newest.
            a.storage().writeAtomically(journal, "<journal n='a2'/>");
            assertEquals(Optional.of("<journal n='a2'/>"), b.storage().read(journal));
            a.storage().remove(journal);
        }
        assertEquals(Optional.empty(), b.storage().read(journal));
    }
}
