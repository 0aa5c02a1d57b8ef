package dev.esm.libvirt.internal.state;

import dev.esm.api.errors.LeaseLostException;
import dev.esm.core.port.StateStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.esm.libvirt.internal.connect.LibvirtErrors;
import dev.esm.libvirt.internal.pool.Volumes;

/**
 * A lease generation held by this client ({@link VolumeLeases}): its heartbeat (a thread renewing it a quarter lease
 * apart over its own connection), its fence ({@link #ensureHeld}) and its release.
 *
 * <p>Thread-safety: thread-safe; the heartbeat's state is volatile, the loss reason set under this object's monitor.
 */
public final class HeldLease implements StateStore.Lease {
    private static final Logger LOG = LoggerFactory.getLogger(HeldLease.class);

    /** What a held lease needs of the leases' volumes. */
    public interface Owner {
        /** @return the state pool's handle on the heartbeat's connection */
        StoragePool beatPool(Connect c) throws LibvirtException;

        /** @return a lease volume's content for renewal {@code beat} of a lease taken at {@code taken} */
        String contentOf(long beat, Instant taken);

        /** Deletes a generation still provably held. */
        void delete(StorageVol v, String name);

        /** Removes a generation if its volume is still there. */
        void removeIfThere(String name);
    }

    private final Owner owner;
    private final Duration leaseTime;
    private final String hostUri;
    private final Connect beatConn;
    private final String name;
    private final StorageVol vol;
    private final Instant taken = Instant.now();
    private final long validity;
    private final Thread beater;
    /** When the last confirmed renewal started (System.nanoTime). */
    private volatile long confirmed;
    private volatile String lostWhy;
    private volatile boolean released;

    /**
     * Starts the heartbeat.
     *
     * @param owner the leases' volumes
     * @param beatConn the heartbeat's own connection
     * @param name the held generation's volume name
     * @param vol its volume (freed at release)
     * @param started when the taking started (System.nanoTime): the first renewal is due a quarter lease after
     * @param leaseTime how long a lease lasts without renewal
     * @param hostUri the host, for messages
     */
    public HeldLease(Owner owner, Connect beatConn, String name, StorageVol vol, long started, Duration leaseTime,
              String hostUri) {
        this.owner = owner;
        this.leaseTime = leaseTime;
        this.hostUri = hostUri;
        this.validity = leaseTime.toNanos() - leaseTime.toNanos() / 4;
        this.beatConn = beatConn;
        this.name = name;
        this.vol = vol;
        this.confirmed = started;
        this.beater = new Thread(this::beat, "esm-lease-" + name);
        beater.setDaemon(true);
        beater.start();
    }

    @Override
    public void ensureHeld() {
        String why = lostWhy;
        if (why == null && System.nanoTime() - confirmed >= validity) {
            why = lose("no renewal of it was confirmed for " + (System.nanoTime() - confirmed) / 1_000_000
                    + " ms; it lasts " + leaseTime.toMillis() + " ms");
        }
        if (why != null) {
            throw new LeaseLostException("its lease " + name + " on " + hostUri + " is no longer provably this"
                    + " client's: " + why, LeaseLostException.Fate.PENDING);
        }
    }

    /** @return the reason the lease is lost (the first one given) */
    private synchronized String lose(String why) {
        if (lostWhy == null) {
            lostWhy = why;
            if (!released) {
                LOG.debug("the lease {} is lost: {}", name, why);
            }
        }
        return lostWhy;
    }

    private void beat() {
        StorageVol mine = null;
        boolean warned = false;
        long interval = Math.max(50, leaseTime.toMillis() / 4);
        try {
            try {
                mine = owner.beatPool(beatConn).storageVolLookupByName(name); // now: a beat is one call when due
            } catch (LibvirtException e) {
                LOG.debug("looking up the lease {} failed ({}); looked up again at its first beat", name,
                        e.getMessage());
            }
            for (long n = 1; ; n++) {
                long due = confirmed + interval * 1_000_000L;
                long waitNanos = due - System.nanoTime();
                if (waitNanos > 0) {
                    Thread.sleep(waitNanos / 1_000_000L, (int) (waitNanos % 1_000_000L));
                }
                if (released || lostWhy != null) {
                    return;
                }
                long start = System.nanoTime();
                long previous = confirmed;
                if (start - previous >= validity) {
                    lose("its heartbeat was " + (start - previous) / 1_000_000 + " ms late (a paused process or a"
                            + " slow link)");
                    return;
                }
                try {
                    if (mine == null) {
                        mine = owner.beatPool(beatConn).storageVolLookupByName(name);
                    }
                    byte[] beat = owner.contentOf(n, taken).getBytes(StandardCharsets.UTF_8);
                    if (System.nanoTime() - previous >= validity) { // again, right before the one change
                        lose("its heartbeat was late (a paused process or a slow link)");
                        return;
                    }
                    Volumes.upload(beatConn, mine, 0, beat);
                } catch (LibvirtException e) {
                    if (LibvirtErrors.isCode(e, "VIR_ERR_NO_STORAGE_VOL")) {
                        lose("another client took it over (its volume is gone)");
                        return;
                    }
                    if (!warned) {
                        warned = true;
                        LOG.warn("renewing the lease {} on {} failed ({}); retrying", name, hostUri,
                                e.getMessage());
                    }
                    Thread.sleep(Math.max(10, interval / 4));
                    continue;
                }
                if (System.nanoTime() - previous >= validity) {
                    lose("a renewal returned too late to count (a paused process or a slow link)");
                    return;
                }
                confirmed = start;
            }
        } catch (InterruptedException e) {
            // released
        } catch (RuntimeException e) {
            if (!released) {
                lose("its heartbeat stopped: " + e.getMessage());
            }
        } finally {
            Volumes.free(mine);
        }
    }

    @Override
    public void close() {
        released = true;
        beater.interrupt();
        try {
            beater.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (lostWhy == null && System.nanoTime() - confirmed < validity) {
            owner.delete(vol, name);
            return;
        }
        // No longer provably held: its volume is removed only if it is still there (no take-over happened), so a
        // client whose lease was taken over makes no call that changes anything. A generation is never another's.
        Volumes.free(vol);
        owner.removeIfThere(name);
    }
}
