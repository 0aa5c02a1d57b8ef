package dev.esm.libvirt.internal.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.errors.DomainBusyException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.LeaseLostException;
import dev.esm.core.port.StateStore;
import dev.esm.libvirt.internal.pool.InMemoryPools;
import dev.esm.libvirt.internal.pool.StatePool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Taking a lease of the state pool (libvirt's storage API in memory): a generation volume of its own, refused while
 * another generation is renewed, taken over from one silent for the lease time, released by removing only its own.
 * The heartbeats' connection is libvirt's in-process test driver ({@code test:///default}: no libvirtd), on which
 * the state pool does not exist, so no lease here is renewed: each stays held for its first validity only.
 */
class VolumeLeasesTest {
    private static final String DIR = "/var/lib/libvirt/esm";
    private static final String PATH = DIR + "/dom.lock";
    private final InMemoryPools host = new InMemoryPools();
    private final StatePool pool = host.statePool(DIR);
    private VolumeLeases leases;

    private VolumeLeases leases(Duration leaseTime) {
        leases = new VolumeLeases(host.conn, pool, "test:///default", leaseTime);
        return leases;
    }

    @AfterEach
    void close() {
        if (leases != null) {
            leases.close();
        }
    }

    private List<String> generations() {
        return pool.call("listing", p -> List.of(p.listVolumes())).stream().filter(n -> n.startsWith("dom.lock.lease"))
                .toList();
    }

    /** Another client's generation, with a content that names it. */
    private void otherGeneration(String name, String content) {
        pool.call("making", p -> p.storageVolCreateXML("<volume><name>" + name + "</name><capacity>"
                + VolumeLeases.LEASE_LENGTH + "</capacity></volume>", 0));
        rewrite(name, content);
    }

    private void rewrite(String name, String content) {
        byte[] b = String.format("%-100.100s %020d%n", content, 1).getBytes(StandardCharsets.UTF_8);
        host.volume(DIR + "/" + name).orElseThrow().data = b;
    }

    @Test
    void aFreeLeaseIsTakenAsAGenerationVolumeOfItsOwn() {
        try (StateStore.Lease lease = leases(Duration.ofSeconds(30)).lock(PATH, Duration.ofSeconds(1))) {
            lease.ensureHeld();
            List<String> gens = generations();
            assertEquals(1, gens.size(), gens.toString());
            assertTrue(gens.get(0).matches("dom\\.lock\\.lease\\.[0-9a-f]{16}"), gens.get(0));
        }
        assertEquals(List.of(), generations(), "released: its volume removed");
    }

    @Test
    void eachTakingIsANewGeneration() {
        leases(Duration.ofSeconds(30));
        String first;
        try (StateStore.Lease lease = leases.lock(PATH, Duration.ofSeconds(1))) {
            first = generations().get(0);
        }
        try (StateStore.Lease lease = leases.lock(PATH, Duration.ofSeconds(1))) {
            assertFalse(generations().contains(first));
        }
    }

    @Test
    void aLeaseAnotherClientRenewsIsRefusedAfterTheWaitNamingTheHolder() {
        otherGeneration("dom.lock.lease.00000000000000bb", "client 1234abcd (pid 7 on other) 1700000000");
        long t0 = System.nanoTime();
        DomainBusyException e = assertThrows(DomainBusyException.class,
                () -> leases(Duration.ofSeconds(30)).lock(PATH, Duration.ofMillis(300)));
        assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(300).toNanos(), "it waited");
        assertTrue(e.getMessage().contains("client 1234abcd (pid 7 on other)"), e.getMessage());
        assertEquals(List.of("dom.lock.lease.00000000000000bb"), generations(), "its own attempt removed");
    }

    @Test
    void aGenerationSilentForTheLeaseTimeIsTakenOver() {
        otherGeneration("dom.lock.lease.00000000000000bb", "client 1234abcd (pid 7 on other) 1700000000");
        Duration leaseTime = Duration.ofMillis(300);
        long t0 = System.nanoTime();
        try (StateStore.Lease lease = leases(leaseTime).lock(PATH, Duration.ofSeconds(5))) {
            assertTrue(System.nanoTime() - t0 > leaseTime.toNanos(), "not before a lease time of silence");
            assertFalse(generations().contains("dom.lock.lease.00000000000000bb"), "the silent one removed");
            assertEquals(1, generations().size());
        }
    }

    @Test
    void aGenerationWhoseHeartbeatGoesOnIsNotTakenOver() throws InterruptedException {
        otherGeneration("dom.lock.lease.00000000000000bb", "client 1234abcd (pid 7 on other) 1700000000");
        AtomicBoolean beating = new AtomicBoolean(true);
        Thread heartbeat = new Thread(() -> {
            for (int n = 2; beating.get(); n++) {
                host.volume(DIR + "/dom.lock.lease.00000000000000bb").orElseThrow().data =
                        String.format("%-100.100s %020d%n", "client 1234abcd (pid 7 on other) 1700000000", n)
                                .getBytes(StandardCharsets.UTF_8);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        heartbeat.start();
        try {
            assertThrows(DomainBusyException.class,
                    () -> leases(Duration.ofMillis(600)).lock(PATH, Duration.ofMillis(900)));
            assertTrue(generations().contains("dom.lock.lease.00000000000000bb"));
        } finally {
            beating.set(false);
            heartbeat.join();
        }
    }

    @Test
    void theLeaseOfThePreviousReleaseCountsAsAGeneration() {
        otherGeneration("dom.lock.lease", "client 1234abcd (pid 7 on other) 1700000000");
        assertThrows(DomainBusyException.class,
                () -> leases(Duration.ofSeconds(30)).lock(PATH, Duration.ofMillis(200)));
    }

    @Test
    void aLeaseOfAnotherPathIsNoObstacle() {
        otherGeneration("dom.lock.lease.00000000000000bb".replace("dom", "other"), "client x 1");
        try (StateStore.Lease lease = leases(Duration.ofSeconds(30)).lock(PATH, Duration.ofMillis(200))) {
            assertEquals(1, generations().size());
        }
    }

    @Test
    void aLeaseNeverRenewedIsRefusedOnceItsValidityEnds() throws InterruptedException {
        try (StateStore.Lease lease = leases(Duration.ofMillis(400)).lock(PATH, Duration.ofSeconds(1))) {
            lease.ensureHeld();
            Thread.sleep(450); // past three quarters of the lease time; no heartbeat reaches this pool
            assertThrows(LeaseLostException.class, lease::ensureHeld);
        }
    }

    @Test
    void aReleaseRemovesOnlyItsOwnGeneration() {
        leases(Duration.ofSeconds(30));
        StateStore.Lease lease = leases.lock(PATH, Duration.ofSeconds(1));
        String mine = generations().get(0);
        otherGeneration("dom.lock.lease.00000000000000bb", "client 1234abcd (pid 7 on other) 1700000000");
        lease.close();
        assertEquals(List.of("dom.lock.lease.00000000000000bb"), generations());
        assertFalse(generations().contains(mine));
    }

    @Test
    void aLeaseTimeOfFewerThanTenRoundTripsIsRefused() {
        InvalidOperationException e = assertThrows(InvalidOperationException.class,
                () -> leases(Duration.ofNanos(1)).lock(PATH, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
        assertEquals(List.of(), generations(), "nothing made");
    }

    @Test
    void theHolderIsReadWithoutTakingTheLease() {
        otherGeneration("dom.lock.lease.00000000000000bb", "client 1234abcd (pid 7 on other) 1700000000");
        Optional<StateStore.LockHolder> holder = leases(Duration.ofSeconds(30)).holder(PATH);
        assertEquals("client 1234abcd (pid 7 on other)", holder.orElseThrow().who());
        assertEquals(Optional.of(Instant.ofEpochSecond(1700000000)), holder.get().since());
        assertEquals(Optional.empty(), leases.holder(DIR + "/free.lock"));
    }

    @Test
    void aLeasesContentNamesItsHolderAndWhenItWasTaken() {
        String content = leases(Duration.ofSeconds(30)).contentOf(3, Instant.ofEpochSecond(1700000000));
        assertEquals(VolumeLeases.LEASE_LENGTH, content.getBytes(StandardCharsets.UTF_8).length);
        assertTrue(VolumeLeases.holderOf(content).matches("client [0-9a-f]{8} \\(pid \\d+ on .+\\)"),
                VolumeLeases.holderOf(content));
        assertEquals(Optional.of(Instant.ofEpochSecond(1700000000)), VolumeLeases.sinceOf(content));
        assertEquals("a client that never renewed it", VolumeLeases.holderOf(" ".repeat(122)));
        assertEquals(Optional.empty(), VolumeLeases.sinceOf(" ".repeat(122)));
    }
}
