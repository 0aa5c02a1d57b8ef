package dev.esm.libvirt.internal.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.errors.LeaseLostException;
import dev.esm.libvirt.internal.pool.InMemoryPools;
import dev.esm.libvirt.internal.pool.StatePool;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;

/**
 * A held lease generation: renewed by its heartbeat, lost when its volume is gone or no renewal is confirmed within
 * its validity (three quarters of the lease time), refused from then on, and released by removing its own volume only.
 */
class HeldLeaseTest {
    private static final String DIR = "/var/lib/libvirt/esm";
    private static final String MINE = "dom.lock.lease.00000000000000aa";
    private final InMemoryPools host = new InMemoryPools();
    private final StatePool pool = host.statePool(DIR);
    private final Owner owner = new Owner();
    private HeldLease lease;

    /** The leases' volumes as {@link VolumeLeases} gives them, recording the releases. */
    private final class Owner implements HeldLease.Owner {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile boolean poolGone;

        @Override
        public StoragePool beatPool(Connect c) throws LibvirtException {
            if (poolGone) {
                throw InMemoryPools.error(org.libvirt.Error.ErrorNumber.VIR_ERR_NO_STORAGE_POOL, "no pool");
            }
            return c.storagePoolLookupByName(pool.name());
        }

        @Override
        public String contentOf(long beat, Instant taken) {
            return String.format("%-100.100s %020d%n", "client test", beat);
        }

        @Override
        public void delete(StorageVol v, String name) {
            calls.add("delete " + name);
            try {
                v.delete(0);
            } catch (LibvirtException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void removeIfThere(String name) {
            calls.add("removeIfThere " + name);
            host.removeFile(DIR + "/" + name);
        }
    }

    private StorageVol volume(String name) {
        return pool.call("making " + name, p -> p.storageVolCreateXML("<volume><name>" + name + "</name><capacity>"
                + VolumeLeases.LEASE_LENGTH + "</capacity></volume>", 0));
    }

    private HeldLease take(long started, Duration leaseTime) {
        lease = new HeldLease(owner, host.conn, MINE, volume(MINE), started, leaseTime, "qemu+ssh://host/system");
        return lease;
    }

    private String content(String name) {
        return new String(host.volume(DIR + "/" + name).orElseThrow().data, StandardCharsets.UTF_8);
    }

    @AfterEach
    void release() {
        if (lease != null) {
            lease.close();
        }
    }

    @Test
    void theHeartbeatRenewsTheLeaseSoItStaysHeldPastItsFirstValidity() throws InterruptedException {
        take(System.nanoTime(), Duration.ofSeconds(1)); // a beat every 250 ms, valid for 750 ms after each
        Thread.sleep(900);
        lease.ensureHeld();
        assertTrue(content(MINE).startsWith("client test"), content(MINE));
        long beats = Long.parseLong(content(MINE).substring(101).trim());
        assertTrue(beats >= 2, "beats: " + beats);
    }

    @Test
    void aLeaseWithNoRenewalConfirmedWithinItsValidityRefusesEveryChangeFromThenOn() {
        Duration leaseTime = Duration.ofSeconds(4);
        take(System.nanoTime() - leaseTime.toNanos() * 3 / 4, leaseTime); // taken three quarters of it ago
        LeaseLostException e = assertThrows(LeaseLostException.class, lease::ensureHeld);
        assertTrue(e.getMessage().contains(MINE + " on qemu+ssh://host/system is no longer provably this client's"),
                e.getMessage()); // said by the check or by the heartbeat, whichever saw it first
        assertEquals(LeaseLostException.Fate.PENDING, e.fate());
        assertThrows(LeaseLostException.class, lease::ensureHeld, "sticky");
    }

    @Test
    void aLeaseStillWithinItsValidityIsHeldThoughItsHeartbeatFails() {
        owner.poolGone = true;
        take(System.nanoTime(), Duration.ofSeconds(4));
        lease.ensureHeld();
    }

    @Test
    void aLeaseWhoseHeartbeatKeepsFailingIsLostOnceItsValidityEnds() throws InterruptedException {
        owner.poolGone = true;
        take(System.nanoTime(), Duration.ofMillis(200)); // valid for 150 ms
        Thread.sleep(250);
        assertThrows(LeaseLostException.class, lease::ensureHeld);
    }

    @Test
    void aLeaseWhoseVolumeAnotherClientRemovedIsLostAtItsNextBeat() throws InterruptedException {
        take(System.nanoTime(), Duration.ofSeconds(2)); // a beat every 500 ms
        host.removeFile(DIR + "/" + MINE); // taken over
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        LeaseLostException lost = null;
        while (lost == null && System.nanoTime() < deadline) {
            try {
                lease.ensureHeld();
                Thread.sleep(20);
            } catch (LeaseLostException e) {
                lost = e;
            }
        }
        assertTrue(lost != null && lost.getMessage().contains("took it over"), String.valueOf(lost));
    }

    @Test
    void aReleaseWhileHeldDeletesItsOwnVolumeAndNoOtherGeneration() {
        volume("dom.lock.lease.00000000000000bb"); // another client's attempt, backing off
        take(System.nanoTime(), Duration.ofSeconds(4));
        lease.close();
        lease = null;
        assertEquals(List.of("delete " + MINE), owner.calls);
        assertFalse(host.volume(DIR + "/" + MINE).isPresent());
        assertTrue(host.volume(DIR + "/dom.lock.lease.00000000000000bb").isPresent());
    }

    @Test
    void aReleaseOfALeaseNoLongerHeldOnlyRemovesItsVolumeIfStillThere() {
        Duration leaseTime = Duration.ofSeconds(4);
        take(System.nanoTime() - leaseTime.toNanos(), leaseTime);
        lease.close();
        lease = null;
        assertEquals(List.of("removeIfThere " + MINE), owner.calls);
    }

    @Test
    void noBeatIsWrittenAfterTheRelease() throws InterruptedException {
        take(System.nanoTime(), Duration.ofMillis(200));
        lease.close();
        lease = null;
        int uploads = host.uploads.size();
        Thread.sleep(150);
        assertEquals(uploads, host.uploads.size());
    }
}
