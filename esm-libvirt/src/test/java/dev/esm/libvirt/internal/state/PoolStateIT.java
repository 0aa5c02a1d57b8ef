package dev.esm.libvirt.internal.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.ImageAccess;
import dev.esm.api.errors.DomainBusyException;
import dev.esm.core.port.StateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.internal.connect.NativeLibvirt;
import dev.esm.libvirt.internal.pool.PoolStorage;
import dev.esm.libvirt.LibvirtHost;
import dev.esm.libvirt.testbed.LibvirtBed;

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
        key = "it-" + UUID.randomUUID();
    }

    @AfterEach
    void close() {
        System.clearProperty(TTL);
        ((PoolState) a.stateStore()).removeLeases(key);
        a.stateStore().removeJournal(key);
        a.close();
        b.close();
    }

    @Test
    void aLeaseExcludesAnotherClientUntilReleasedAndItsHeartbeatOutlivesTheLeaseTime() throws Exception {
        StateStore.Lease held = a.stateStore().lock(key, Duration.ofSeconds(1));
        long t0 = System.nanoTime();
        // Waiting longer than two lease times: the holder's heartbeat keeps the lease from looking stale.
        assertThrows(DomainBusyException.class, () -> b.stateStore().lock(key, Duration.ofMillis(3500)));
        assertTrue(System.nanoTime() - t0 >= 3_000_000_000L, "b waited before giving up");
        held.close();
        try (StateStore.Lease mine = b.stateStore().lock(key, Duration.ofSeconds(2))) {
            assertThrows(DomainBusyException.class, () -> a.stateStore().lock(key, Duration.ofMillis(200)));
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
        try (StateStore.Lease taken = b.stateStore().lock(key, Duration.ofSeconds(10))) {
            String volumes = LibvirtBed.run(concat(virsh, "vol-list", "--pool", existingPool()));
            assertTrue(!volumes.contains(name + " "), "the dead client's lease is gone: " + volumes);
            assertTrue(volumes.contains(name + "."), "the new holder's generation is there: " + volumes);
        }
    }

    @Test
    void aHolderWhoseLeaseWasTakenOverStopsAndItsReleaseRemovesNothingOfTheNewOwner() throws Exception {
        String name = key + ".lock.lease";
        List<String> virsh = List.of("virsh", "-c", LibvirtBed.URI);
        StateStore.Lease stale = a.stateStore().lock(key, Duration.ofSeconds(1));
        stale.ensureHeld();
        // What a client that saw a's lease silent for a lease time does: it removes a's generation, then takes its own.
        String aGeneration = generations(name).get(0);
        LibvirtBed.run(concat(virsh, "vol-delete", "--pool", existingPool(), aGeneration));
        try (StateStore.Lease taken = b.stateStore().lock(key, Duration.ofSeconds(1))) {
            String bGeneration = generations(name).get(0);
            assertTrue(!bGeneration.equals(aGeneration), "a take-over makes a new generation");
            // a's heartbeat (every quarter of 1.5 s) finds its volume gone: a may change nothing more.
            long deadline = System.nanoTime() + 3_000_000_000L;
            boolean refused = false;
            while (!refused && System.nanoTime() < deadline) {
                try {
                    stale.ensureHeld();
                    Thread.sleep(50);
                } catch (dev.esm.api.errors.LeaseLostException lost) {
                    refused = true;
                    assertTrue(lost.getMessage().contains("took it over"), lost.getMessage());
                }
            }
            assertTrue(refused, "the holder whose lease was taken over is fenced");
            stale.close();
            assertEquals(List.of(bGeneration), generations(name), "a's release left b's lease alone");
            assertThrows(DomainBusyException.class, () -> a.stateStore().lock(key, Duration.ofMillis(300)));
            taken.ensureHeld();
        }
        assertEquals(List.of(), generations(name), "b's release removed its own generation");
    }

    @Test
    void aReaderSeesWhoHoldsALeaseWithoutTakingIt() {
        assertEquals(Optional.empty(), b.stateStore().lockHolder(key));
        try (StateStore.Lease held = a.stateStore().lock(key, Duration.ofSeconds(1))) {
            Optional<StateStore.LockHolder> seen = b.stateStore().lockHolder(key);
            assertTrue(seen.isPresent(), "the lease is held");
            held.ensureHeld();
        }
        assertEquals(Optional.empty(), b.stateStore().lockHolder(key));
    }

    /** @return the lease volumes of {@code name} in the state pool (each generation's) */
    private List<String> generations(String name) {
        return LibvirtBed.run(List.of("virsh", "-c", LibvirtBed.URI, "vol-list", "--pool", existingPool()))
                .lines().map(String::strip).map(l -> l.split("\\s+")[0]).filter(n -> n.startsWith(name + "."))
                .toList();
    }

    /** A persistent throwaway domain with no devices (never started); undefined by the caller. */
    private String newDomain() {
        String name = "esm-it-journal-" + UUID.randomUUID();
        a.defineDomain("<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>32</memory>"
                + "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>");
        return name;
    }

    /** @return the domain's key in the state store (its UUID) */
    private String journalOf(String domain) {
        return dev.esm.core.xml.DomainXml.parse(a.domainXml(domain, false)).uuid();
    }

    private boolean volumeExists(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return LibvirtBed.run(List.of("virsh", "-c", LibvirtBed.URI, "vol-list", "--pool", existingPool()))
                .contains(name);
    }

    private void undefine(String domain) {
        LibvirtBed.run(List.of("virsh", "-c", LibvirtBed.URI, "undefine", domain));
    }

    @Test
    void aDomainsJournalIsKeptInItsDefinitionWithNoVolumeAndIsReadByAnotherClient() {
        String dom = newDomain();
        try {
            String journal = journalOf(dom);
            String text = "<journal n='1'>\n\tpaths: /a b/&amp; \u00e9\r\n</journal>";
            a.stateStore().writeJournal(journal, text);
            assertEquals(Optional.of(text), b.stateStore().readJournal(journal));
            assertTrue(b.domainXml(dom, false).contains(DomainJournals.NS));
            assertTrue(!volumeExists(journal + ".journal"), "no volume for a journal kept in the definition");
            b.stateStore().removeJournal(journal);
            assertEquals(Optional.empty(), a.stateStore().readJournal(journal));
            assertTrue(!a.domainXml(dom, false).contains(DomainJournals.NS));
        } finally {
            undefine(dom);
        }
    }

    @Test
    void aDefineFromADefinitionReadBeforeTheLastJournalWriteKeepsTheNewestJournal() {
        String dom = newDomain();
        try {
            String journal = journalOf(dom);
            a.stateStore().writeJournal(journal, "<journal n='1'/>");
            String readThen = a.domainXml(dom, false); // carries n=1
            a.stateStore().writeJournal(journal, "<journal n='2'/>");
            a.defineDomain(readThen);
            assertEquals(Optional.of("<journal n='2'/>"), b.stateStore().readJournal(journal));
            b.defineDomain(readThen); // b read n=2 above: it knows the newest
            assertEquals(Optional.of("<journal n='2'/>"), a.stateStore().readJournal(journal));
            String withJournal = a.domainXml(dom, false);
            a.stateStore().removeJournal(journal);
            a.defineDomain(withJournal); // a definition read while the journal existed must not bring it back
            assertEquals(Optional.empty(), b.stateStore().readJournal(journal));
        } finally {
            undefine(dom);
        }
    }

    @Test
    void aJournalVolumeLeftByThePreviousReleaseIsReadAndRemovedWithTheJournal() throws Exception {
        String dom = newDomain();
        try {
            String journal = journalOf(dom);
            // The previous release kept every journal in a volume: slot 0, sequence 1, the content inline.
            byte[] body = "<journal n='old'/>".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(body);
            String header = String.format("%-63s%n", "esm2 1 " + body.length + " " + Long.toHexString(crc.getValue()));
            Path file = Files.createTempFile("legacy", "");
            Files.write(file, (header + new String(body, java.nio.charset.StandardCharsets.UTF_8))
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String name = journal + ".journal";
            List<String> virsh = List.of("virsh", "-c", LibvirtBed.URI);
            LibvirtBed.run(concat(virsh, "vol-create-as", "--pool", existingPool(), name,
                    Long.toString(2L * HostState.REGION), "--format", "raw"));
            LibvirtBed.run(concat(virsh, "vol-upload", "--pool", existingPool(), name, file.toString()));
            Files.delete(file);

            assertEquals(Optional.of("<journal n='old'/>"), b.stateStore().readJournal(journal));
            b.stateStore().writeJournal(journal, "<journal n='new'/>"); // a recovery writes the new way
            assertEquals(Optional.of("<journal n='new'/>"), a.stateStore().readJournal(journal));
            b.stateStore().removeJournal(journal);
            assertTrue(!volumeExists(journal + ".journal"), "the old volume is removed with the journal");
            assertEquals(Optional.empty(), a.stateStore().readJournal(journal));
        } finally {
            undefine(dom);
        }
    }

    @Test
    void aJournalTooLargeForADefinitionGoesToItsVolumeAndTheDefinitionSaysSo() {
        String dom = newDomain();
        try {
            String journal = journalOf(dom);
            String big = "<journal>" + "x".repeat(DomainJournals.MAX) + "</journal>";
            a.stateStore().writeJournal(journal, big);
            assertTrue(volumeExists(journal + ".journal"));
            assertEquals(Optional.of(big), b.stateStore().readJournal(journal));
            assertTrue(b.domainXml(dom, false).length() < DomainJournals.MAX);
            b.stateStore().writeJournal(journal, "<journal n='small'/>");
            assertEquals(Optional.of("<journal n='small'/>"), a.stateStore().readJournal(journal));
            a.stateStore().removeJournal(journal);
            assertTrue(!volumeExists(journal + ".journal"));
            assertEquals(Optional.empty(), b.stateStore().readJournal(journal));
        } finally {
            undefine(dom);
        }
    }

    /** The state pool's name (by its target path: pools of other tests may come and go meanwhile). */
    private String existingPool() {
        String name = NativeLibvirt.poolNameByTargetPath(((PoolStorage) a.storage()).connection(),
                ((PoolStorage) a.storage()).stateDirectory());
        if (name == null) {
            throw new IllegalStateException("no pool over " + ((PoolStorage) a.storage()).stateDirectory());
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
        String state = ((PoolStorage) a.storage()).stateDirectory();
        String xml = LibvirtBed.run(List.of("virsh", "-c", LibvirtBed.URI, "pool-dumpxml",
                NativeLibvirt.poolNameByTargetPath(((PoolStorage) a.storage()).connection(), state)));
        assertTrue(xml.contains("<path>" + state + "</path>"), xml);
        assertEquals(null, NativeLibvirt.poolNameByTargetPath(((PoolStorage) a.storage()).connection(),
                "/nonexistent/" + UUID.randomUUID()));
    }

    @Test
    void aJournalWrittenByOneClientIsReadByAnotherAndATornWriteLeavesThePreviousContent() throws Exception {
        String journal = key;
        a.stateStore().writeJournal(journal, "<journal n='1'/>");
        a.stateStore().writeJournal(journal, "<journal n='2'/>");
        assertEquals(Optional.of("<journal n='2'/>"), b.stateStore().readJournal(journal));
        // A client killed while uploading version 3 leaves the slot it wrote (the older one, slot 0) torn.
        String name = journal + ".journal";
        Path torn = Files.createTempFile("torn", "");
        Files.writeString(torn, String.format("%-63s%n<journal n='3", "esm2 3 16 12345678"));
        List<String> virsh = List.of("virsh", "-c", LibvirtBed.URI);
        LibvirtBed.run(concat(virsh, "vol-upload", "--pool", existingPool(), name, torn.toString(), "--offset", "0"));
        Files.delete(torn);
        assertEquals(Optional.of("<journal n='2'/>"), b.stateStore().readJournal(journal));
        b.stateStore().removeJournal(journal);
        assertEquals(Optional.empty(), a.stateStore().readJournal(journal));
    }

    @Test
    void aJournalLargerThanItsSlotRegionIsReadWholeAndTheNextSmallOneReplacesIt() {
        String journal = key;
        String big = "<journal>" + "x".repeat(3 * HostState.REGION) + "</journal>";
        a.stateStore().writeJournal(journal, big);
        assertEquals(Optional.of(big), b.stateStore().readJournal(journal));
        b.stateStore().writeJournal(journal, "<journal n='small'/>");
        assertEquals(Optional.of("<journal n='small'/>"), a.stateStore().readJournal(journal));
        a.stateStore().writeJournal(journal, big + big);
        assertEquals(Optional.of(big + big), b.stateStore().readJournal(journal));
    }

    @Test
    void aJournalWrittenByAnotherClientWhileThisOneWaitedIsNotOverwrittenFromStaleMemory() throws Exception {
        String journal = key;
        try (StateStore.Lease la = a.stateStore().lock(key, Duration.ofSeconds(2))) {
            a.stateStore().writeJournal(journal, "<journal n='a1'/>");
        }
        try (StateStore.Lease lb = b.stateStore().lock(key, Duration.ofSeconds(2))) {
            assertEquals(Optional.of("<journal n='a1'/>"), b.stateStore().readJournal(journal));
            b.stateStore().writeJournal(journal, "<journal n='b1'/>");
            b.stateStore().writeJournal(journal, "<journal n='b2'/>");
        }
        try (StateStore.Lease la = a.stateStore().lock(key, Duration.ofSeconds(2))) {
            // a remembers writing slot 0 with sequence 1; b wrote sequences 2 (slot 1) and 3 (slot 0) since.
            // Writing from that memory would put sequence 2 into slot 1, older than b's newest.
            a.stateStore().writeJournal(journal, "<journal n='a2'/>");
            assertEquals(Optional.of("<journal n='a2'/>"), b.stateStore().readJournal(journal));
            a.stateStore().removeJournal(journal);
        }
        assertEquals(Optional.empty(), b.stateStore().readJournal(journal));
    }
}
