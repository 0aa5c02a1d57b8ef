package dev.esm.libvirt.internal.state;

import dev.esm.api.errors.DomainBusyException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.core.port.StateStore;
import dev.esm.core.xml.Xml;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.esm.libvirt.internal.connect.LibvirtErrors;
import dev.esm.libvirt.internal.pool.StatePool;
import dev.esm.libvirt.internal.pool.Volumes;

/**
 * Leases on a host reached through libvirt's storage API: who may change a domain, whichever machine it runs on, and
 * a guarantee that a holder which lost its lease changes nothing more (fencing).
 *
 * <h2>A lease is a generation</h2>
 * Each taking of the lease of {@code <path>} makes a volume of its own in the state pool, {@code <path>.lease.<g>},
 * where {@code g} is a fresh random 64-bit generation. A client takes the lease by creating its generation, then
 * listing the pool: it holds the lease when no other generation of {@code <path>} is there; otherwise it removes its
 * own and waits (two clients that create at once both see each other and both back off for a random moment). So
 * of any two holders, the later one to list would have seen the earlier's volume: at most one holds it. A holder
 * writes a heartbeat into its own volume every quarter of the lease time ({@code leaseTime}, default 30 s), on a
 * connection of its own opened before the lease is taken. A waiting client that sees another generation's content
 * unchanged for a whole lease time on its own clock removes that volume (the take-over) and tries again. Since every
 * generation has its own name, nothing a stale holder does (a late heartbeat, its release) can touch a newer
 * generation: a volume that is gone takes no upload and no delete. An older release's lease, {@code <path>.lease},
 * counts as a generation too.
 *
 * <h2>Fencing</h2>
 * A holder counts a renewal (the creation, then each heartbeat) as confirmed from the moment it was started, and only
 * when it returned within the validity of the renewal before it. The lease is valid until the last confirmed renewal
 * plus the lease time minus a margin of a quarter of it; {@link StateStore.Lease#ensureHeld} refuses every change after
 * that (sticky), and the heartbeat stops renewing. A waiting client takes over only after a lease time of silence
 * measured from after the holder's last renewal landed, so the holder's last change had to start a margin before the
 * take-over: a change reaches the host within the margin unless the process pauses inside that very call, which is
 * why a lease must last many round trips (at least {@value #MIN_ROUND_TRIPS}; {@link #lock} refuses a shorter one,
 * measured on the heartbeat's connection). Clocks need not agree; their rates must (over one lease time).
 *
 * <p>Thread-safe. Each held lease has a heartbeat thread of its own; the heartbeats share one connection
 * ({@link HeartbeatConnection}: opened in the background by the first {@link #lock}, which waits for it, and closed by
 * {@link #close}).
 */
public final class VolumeLeases implements AutoCloseable, HeldLease.Owner {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeLeases.class);
    public static final String LEASE_SUFFIX = ".lease";
    /** A lease must last at least this many round trips of the heartbeat's connection. */
    public static final int MIN_ROUND_TRIPS = 10;
    /** A lease's content: who holds it and since when (100 characters), a space, the heartbeat counter, a newline. */
    public static final int LEASE_LENGTH = 122;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Connect conn;
    private final StatePool pool;
    private final String hostUri;
    private final Duration leaseTime;
    private final String clientId = HexFormat.of().toHexDigits(RANDOM.nextInt());
    /** The heartbeats' connection, opened by the first {@link #lock}. */
    private final HeartbeatConnection beats;

    /**
     * @param conn the operations' connection (owned by the caller)
     * @param pool the state pool
     * @param hostUri the host's URI, for the heartbeats' connection and messages
     * @param leaseTime how long a lease lasts without a heartbeat
     */
    public VolumeLeases(Connect conn, StatePool pool, String hostUri, Duration leaseTime) {
        this.conn = conn;
        this.pool = pool;
        this.hostUri = hostUri;
        this.leaseTime = leaseTime;
        this.beats = new HeartbeatConnection(hostUri, pool);
    }

    /** @return the heartbeats' connection, once open; refuses a lease time too short for it */
    private HeartbeatConnection.Link beatLink() {
        HeartbeatConnection.Link link = beats.get();
        long needed = link.roundTripNanos() * MIN_ROUND_TRIPS;
        if (leaseTime.toNanos() < needed) {
            long seconds = Math.max(1, (needed + 999_999_999L) / 1_000_000_000L);
            throw new InvalidOperationException("a lease time of " + leaseTime.toMillis() + " ms is too short for "
                    + hostUri + ": one round trip takes " + link.roundTripNanos() / 1_000_000 + " ms and a lease must"
                    + " last at least " + MIN_ROUND_TRIPS + " of them; set a lease time of " + seconds + " s or more"
                    + " (SnapshotManager.builder(uri).leaseTime(..), or -Desm.leaseTtl=PT" + seconds + "S)");
        }
        return link;
    }

    @Override
    public StoragePool beatPool(Connect c) throws LibvirtException {
        return beats.pool(c);
    }

    // ------------------------------------------------------------------------------------------------- taking

    /** See the class comment. */
    public StateStore.Lease lock(String path, Duration wait) {
        HeartbeatConnection.Link link = beatLink();
        String prefix = Volumes.fileName(path) + LEASE_SUFFIX;
        long deadline = System.nanoTime() + wait.toNanos();
        Map<String, Observed> seen = new HashMap<>();
        boolean tryNow = true;
        while (true) {
            if (tryNow) {
                String mine = prefix + "." + HexFormat.of().toHexDigits(RANDOM.nextLong());
                long started = System.nanoTime();
                StorageVol vol = create(mine);
                List<String> others = generations(prefix);
                others.remove(mine);
                if (others.isEmpty()) {
                    return new HeldLease(this, link.conn(), mine, vol, started, leaseTime, hostUri);
                }
                delete(vol, mine);
                pauseAtRandom(); // another client took it, or is taking it at this moment
            }
            List<String> others = generations(prefix);
            tryNow = others.isEmpty();
            seen.keySet().retainAll(others);
            long now = System.nanoTime();
            for (String other : others) {
                Optional<String> content = read(other);
                if (content.isEmpty()) {
                    tryNow = true; // gone meanwhile
                    continue;
                }
                Observed o = seen.get(other);
                if (o == null || !o.content.equals(content.get())) {
                    seen.put(other, new Observed(content.get(), now));
                } else if (now - o.since > leaseTime.toNanos()) {
                    LOG.warn("taking over the lease of {} on {} from {}: it was not renewed for {} ms", path,
                            hostUri, holderOf(content.get()), leaseTime.toMillis());
                    removeIfThere(other);
                    seen.remove(other);
                    tryNow = true;
                }
            }
            if (!tryNow) {
                if (now > deadline) {
                    String who = others.stream().map(o -> seen.get(o)).filter(java.util.Objects::nonNull)
                            .map(o -> holderOf(o.content)).findFirst().orElse("another client");
                    throw new DomainBusyException("another client holds the lease of " + path + " on " + hostUri
                            + " (" + who + "); retry when its operation has finished");
                }
                sleep(100);
            }
        }
    }

    private record Observed(String content, long since) {
    }

    private static void pauseAtRandom() {
        sleep(20 + ThreadLocalRandom.current().nextInt(80));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DomainBusyException("interrupted while waiting for a lease");
        }
    }

    /** @return the names of every generation of the lease with this prefix (an older release's name included) */
    private List<String> generations(String prefix) {
        String[] names = pool.call("listing the leases " + prefix, StoragePool::listVolumes);
        List<String> found = new ArrayList<>();
        for (String n : names) {
            if (n.equals(prefix) || n.startsWith(prefix + ".")) {
                found.add(n);
            }
        }
        return found;
    }

    private StorageVol create(String name) {
        String xml = "<volume><name>" + Xml.escape(name) + "</name><capacity>" + LEASE_LENGTH
                + "</capacity><allocation>0</allocation><target><format type='raw'/><permissions><mode>0600</mode>"
                + "</permissions></target></volume>";
        return pool.call("taking the lease " + name, p -> p.storageVolCreateXML(xml, 0));
    }

    /** @return the handle of a lease volume of the state pool (the caller's to free), or null when it is gone */
    private StorageVol lookup(String name) {
        return pool.call("looking up " + name, p -> {
            try {
                return p.storageVolLookupByName(name);
            } catch (LibvirtException gone) {
                return null;
            }
        });
    }

    /** @return a lease volume's content (zeros read as spaces), or empty when it is gone */
    private Optional<String> read(String name) {
        StorageVol v = lookup(name);
        if (v == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new String(Volumes.download(conn, v, 0, LEASE_LENGTH), StandardCharsets.UTF_8)
                    .replace('\0', ' '));
        } catch (LibvirtException e) {
            return Optional.empty();
        } finally {
            Volumes.free(v);
        }
    }

    @Override
    public void delete(StorageVol v, String name) {
        try {
            v.delete(0);
        } catch (LibvirtException e) {
            if (!LibvirtErrors.isCode(e, "VIR_ERR_NO_STORAGE_VOL")) {
                LOG.warn("cannot remove the lease volume {}: {}", name, e.getMessage());
            }
        } finally {
            Volumes.free(v);
        }
    }

    /** Removes a lease volume by name, if it is there. */
    @Override
    public void removeIfThere(String name) {
        StorageVol v = lookup(name);
        if (v != null) {
            delete(v, name);
        }
    }

    /** Removes every generation of the lease of {@code path} (tests and clean-up; never while one is held). */
    public void removeAll(String path) {
        generations(Volumes.fileName(path) + LEASE_SUFFIX).forEach(this::removeIfThere);
    }

    /** @return who holds the lease of {@code path}, read without taking it */
    public Optional<StateStore.LockHolder> holder(String path) {
        for (String g : generations(Volumes.fileName(path) + LEASE_SUFFIX)) {
            Optional<String> content = read(g);
            if (content.isPresent()) {
                return Optional.of(new StateStore.LockHolder(holderOf(content.get()), sinceOf(content.get())));
            }
        }
        return Optional.empty();
    }

    // ------------------------------------------------------------------------------------------------- content

    @Override
    public String contentOf(long beat, Instant taken) {
        String who = "client " + clientId + " (pid " + ProcessHandle.current().pid() + " on " + HostName.get()
                + ") " + taken.getEpochSecond();
        return String.format("%-100.100s %020d%n", who, beat);
    }

    /** @return the holder as its lease names it, or a description when it has not written its name yet */
    public static String holderOf(String content) {
        String who = content.length() >= 100 ? content.substring(0, 100).strip() : content.strip();
        int at = who.lastIndexOf(' ');
        if (who.startsWith("client ") && at > 0 && who.substring(at + 1).chars().allMatch(Character::isDigit)) {
            return who.substring(0, at);
        }
        return who.isEmpty() ? "a client that never renewed it" : who;
    }

    /** @return when the holder took the lease, as its lease says */
    public static Optional<Instant> sinceOf(String content) {
        String who = content.length() >= 100 ? content.substring(0, 100).strip() : content.strip();
        int at = who.lastIndexOf(' ');
        try {
            return who.startsWith("client ") && at > 0
                    ? Optional.of(Instant.ofEpochSecond(Long.parseLong(who.substring(at + 1)))) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        beats.close();
    }
}
