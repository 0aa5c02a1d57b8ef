package dev.esm.libvirt;

import dev.esm.api.errors.DomainBusyException;
import dev.esm.api.errors.StorageException;
import dev.esm.core.port.Storage;
import dev.esm.core.xml.Xml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StorageVol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ESM's state on a host reached only through libvirt's storage API: journals and leases, kept as volumes of the
 * state pool, so that every client of the host (on any machine) sees the same ones. Part of {@link PoolStorage}.
 *
 * <h2>Journals</h2>
 * (A domain's journal of up to {@value DomainJournals#MAX} bytes is kept in the domain's definition instead, by
 * {@link DomainJournals}; this volume form holds larger ones, files that are no domain's journal, and the journals
 * of the previous release, which kept every journal here.) A journal is one volume holding two slots, written in turn in place (one upload each; the volume is made by
 * the first write and deleted when the journal is removed, so the state pool holds only unfinished operations). Slot {@code i} starts at {@code i * }{@value #REGION}: a header line of {@value #HEADER}
 * bytes, {@code esm2 <seq> <length> <crc32c>}, then the content when it fits the region, else the content lies
 * at {@code 2 * REGION + i * }{@value #MAX_BODY} (written before the header). A reader downloads both regions in
 * one call and takes the valid slot with the higher sequence number, so a write torn by a crash leaves the
 * previous content readable. A client that wrote a journal last
 * remembers which slot it wrote and never reads it back to write the next version; that memory is dropped when
 * the lease of the same domain is taken (another client may have written meanwhile).
 *
 * <h2>Leases</h2>
 * A lease is the volume {@code <path>.lease}, created exclusively (libvirt refuses a second volume of the same
 * name, so of racing clients exactly one wins). Its holder writes its name and a heartbeat counter into it every
 * third of the lease time ({@code -Desm.leaseTtl}, default 30 s), from a thread of its own, the first time a third
 * of the lease time after taking it: so taking a free lease is one call, and an operation shorter than that writes
 * nothing (no upload, and no rescan of the state pool, which libvirtd does after every upload). A waiting client
 * that sees the lease unchanged for a whole lease time on its own clock (clocks need not agree) takes the lease
 * over: holding the exclusive {@code <path>.takeover} volume, it checks the lease is still the stale one, removes
 * it and creates its own. "Unchanged" is the content <em>and</em> the volume's change time (ctime), so a new,
 * still empty lease made by a third client is never mistaken for the empty lease it replaced.
 *
 * <p>Thread-safety: thread-safe. Volume handles of journals are kept (one per journal, freed by {@link #close});
 * a held lease keeps its own handle until released. Heartbeats run on a connection of their own (opened by the
 * first one, closed by {@link #close}), never at the same time as the operation's calls on its connection.
 */
final class HostState implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HostState.class);
    static final String LEASE_SUFFIX = ".lease";
    private static final String TAKEOVER_SUFFIX = ".takeover";
    /** A lease's content: who holds it (100 characters), a space, the heartbeat counter (20 digits), a newline. */
    private static final int LEASE_LENGTH = 122;
    static final int HEADER = 64;
    /** The size of a slot's region: a header and a content of up to {@code REGION - HEADER} bytes. */
    static final int REGION = 32 * 1024;
    /** The largest content a journal holds. */
    static final int MAX_BODY = 8 << 20;
    private static final String MAGIC = "esm2";

    private final Connect conn;
    private final PoolStorage storage;
    private final String stateDir;
    private final String hostUri;
    private final Duration leaseTtl;
    private final String clientId = UUID.randomUUID().toString();

    /** A journal's slot as this client last wrote or read it. */
    private record Slot(int index, long seq, int length) {
        static final Slot NONE = new Slot(1, 0, 0); // the first write goes to slot 0
    }

    private final Map<String, Slot> lastSlot = new ConcurrentHashMap<>();
    private final Map<String, StorageVol> journalVolumes = new ConcurrentHashMap<>();
    private final Map<String, Observed> staleGuards = new ConcurrentHashMap<>();
    /**
     * The heartbeats' own connection, opened by the first heartbeat: a heartbeat's upload running at the same time
     * as the operation's calls on one remote connection was seen to hang both in libvirt's client (libvirt 9.0,
     * qemu+ssh), so the beats never share the operation's connection.
     */
    private Connect beatConn;
    private boolean closed;

    HostState(Connect conn, PoolStorage storage, String stateDir, String hostUri, Duration leaseTtl) {
        this.conn = conn;
        this.storage = storage;
        this.stateDir = stateDir;
        this.hostUri = hostUri;
        this.leaseTtl = leaseTtl;
    }

    /** @return whether {@code path} is one of ESM's small state files (a journal), not a lease or an image */
    boolean isJournal(String path) {
        return lastSlot.containsKey(path) || PoolStorage.parent(path).equals(stateDir)
                && !path.endsWith(LEASE_SUFFIX) && !path.endsWith(TAKEOVER_SUFFIX);
    }

    // -------------------------------------------------------------------------------------------- journals

    private static byte[] slotBytes(long seq, byte[] body, boolean inline) {
        CRC32C crc = new CRC32C();
        crc.update(body);
        String header = String.format("%s %d %d %s", MAGIC, seq, body.length, Long.toHexString(crc.getValue()));
        byte[] h = String.format("%-" + (HEADER - 1) + "s\n", header).getBytes(StandardCharsets.US_ASCII);
        byte[] data = new byte[HEADER + (inline ? body.length : 0)];
        System.arraycopy(h, 0, data, 0, HEADER);
        if (inline) {
            System.arraycopy(body, 0, data, HEADER, body.length);
        }
        return data;
    }

    private static long overflowOffset(int index) {
        return 2L * REGION + (long) index * MAX_BODY;
    }

    /** @return the journal's volume (cached), or null when it does not exist and {@code create} is false */
    private StorageVol journalVolume(String path, boolean create) {
        StorageVol cached = journalVolumes.get(path);
        if (cached != null) {
            return cached;
        }
        String name = PoolStorage.fileName(path);
        StorageVol v = storage.inPool(PoolStorage.parent(path), "looking up " + path, p -> {
            if (!create) {
                try {
                    return p.storageVolLookupByName(name); // the state pool knows every volume: made through it
                } catch (LibvirtException miss) {
                    return null;
                }
            }
            // Journals are removed when their operation ends: the first write of one usually makes it.
            String xml = "<volume><name>" + Xml.escape(name) + "</name><capacity>" + (2L * REGION + 2L * MAX_BODY)
                    + "</capacity><allocation>0</allocation><target><format type='raw'/><permissions><mode>0600"
                    + "</mode></permissions></target></volume>";
            try {
                return p.storageVolCreateXML(xml, 0);
            } catch (LibvirtException exists) {
                return p.storageVolLookupByName(name);
            }
        });
        if (v == null) {
            return null;
        }
        StorageVol raced = journalVolumes.putIfAbsent(path, v);
        if (raced != null) {
            Volumes.free(v);
            return raced;
        }
        return v;
    }

    /** Runs {@code call} on the journal's volume, looking it up again once if it vanished (e.g. removed by hand). */
    private <T> T onJournal(String path, boolean create, VolCall<T> call) throws LibvirtException {
        for (int attempt = 0; ; attempt++) {
            StorageVol v = journalVolume(path, create);
            if (v == null) {
                return call.apply(null);
            }
            try {
                return call.apply(v);
            } catch (LibvirtException e) {
                if (attempt > 0 || !Volumes.isCode(e, "VIR_ERR_NO_STORAGE_VOL")) {
                    throw e;
                }
                if (journalVolumes.remove(path, v)) {
                    Volumes.free(v);
                }
                lastSlot.remove(path);
            }
        }
    }

    @FunctionalInterface
    interface VolCall<T> {
        T apply(StorageVol v) throws LibvirtException;
    }

    /** A slot's header as read, with its content when valid. */
    private record Read(int index, long seq, byte[] body) {
    }

    /** @return the newest valid slot of the journal (seq 0 when there is none) */
    private Read newest(String path) throws LibvirtException {
        return onJournal(path, false, v -> {
            if (v == null) {
                return new Read(1, 0, null);
            }
            byte[] both = Volumes.download(conn, v, 0, 2 * REGION);
            Read a = parse(path, v, both, 0);
            Read b = parse(path, v, both, 1);
            Read newer = b.seq > a.seq ? b : a;
            Read older = newer == a ? b : a;
            if (newer.body == null && newer.seq > 0) {
                return older;
            }
            return newer;
        });
    }

    private Read parse(String path, StorageVol v, byte[] both, int index) throws LibvirtException {
        int at = index * REGION;
        if (both.length < at + HEADER) {
            return new Read(index, 0, null);
        }
        String[] f = new String(both, at, HEADER, StandardCharsets.US_ASCII).trim().split(" ");
        if (f.length != 4 || !f[0].equals(MAGIC)) {
            return new Read(index, 0, null);
        }
        long seq;
        int length;
        try {
            seq = Long.parseLong(f[1]);
            length = Integer.parseInt(f[2]);
        } catch (NumberFormatException e) {
            return new Read(index, 0, null);
        }
        if (length < 0 || length > MAX_BODY) {
            return new Read(index, 0, null);
        }
        byte[] body = length <= REGION - HEADER ? Arrays.copyOfRange(both, at + HEADER, at + HEADER + length)
                : Volumes.download(conn, v, overflowOffset(index), length);
        CRC32C crc = new CRC32C();
        crc.update(body);
        if (body.length != length || !Long.toHexString(crc.getValue()).equals(f[3])) {
            LOG.warn("{} slot {} is torn; using the other one", path, index);
            return new Read(index, seq, null);
        }
        return new Read(index, seq, body);
    }

    /** Writes the next version of a journal into the slot not holding the newest one. */
    void write(String path, String content) {
        byte[] body = content.getBytes(StandardCharsets.UTF_8);
        if (body.length > MAX_BODY) {
            throw new StorageException("cannot write " + path + ": " + body.length + " bytes is more than a journal"
                    + " holds (" + MAX_BODY + ")");
        }
        try {
            Slot last = lastSlot.get(path);
            if (last == null) {
                Read r = newest(path);
                last = new Slot(r.index, r.seq, r.body == null ? 0 : r.body.length);
            }
            int index = last.seq == 0 ? 0 : 1 - last.index;
            long seq = last.seq + 1;
            boolean inline = body.length <= REGION - HEADER;
            onJournal(path, true, v -> {
                if (!inline) {
                    Volumes.upload(conn, v, overflowOffset(index), body);
                }
                Volumes.upload(conn, v, (long) index * REGION, slotBytes(seq, body, inline));
                return null;
            });
            lastSlot.put(path, new Slot(index, seq, body.length));
        } catch (LibvirtException e) {
            lastSlot.remove(path);
            throw new StorageException("cannot write " + path + " (libvirt: " + e.getMessage() + ")", e);
        }
    }

    /** @return the journal's content; empty when it was never written or is removed */
    Optional<String> read(String path) {
        try {
            Read r = newest(path);
            if (r.seq == 0) {
                lastSlot.remove(path);
                return Optional.empty();
            }
            lastSlot.put(path, new Slot(r.index, r.seq, r.body.length));
            return r.body.length == 0 ? Optional.empty() : Optional.of(new String(r.body, StandardCharsets.UTF_8));
        } catch (LibvirtException e) {
            throw new StorageException("cannot read " + path + " (libvirt: " + e.getMessage() + ")", e);
        }
    }

    /**
     * Removes a journal: deletes its volume (one call, and the state pool keeps only the journals of unfinished
     * operations: every write refreshes the whole pool on the host, which costs in proportion to its size).
     */
    void remove(String path) {
        lastSlot.remove(path);
        StorageVol v = journalVolumes.remove(path);
        try {
            if (v == null) {
                v = storage.inPool(PoolStorage.parent(path), "looking up " + path, p -> {
                    try {
                        return p.storageVolLookupByName(PoolStorage.fileName(path));
                    } catch (LibvirtException miss) {
                        return null;
                    }
                });
            }
            if (v != null) {
                v.delete(0);
            }
        } catch (LibvirtException e) {
            if (!Volumes.isCode(e, "VIR_ERR_NO_STORAGE_VOL")) {
                throw new StorageException("cannot remove " + path + " (libvirt: " + e.getMessage() + ")", e);
            }
        } finally {
            Volumes.free(v);
        }
    }

    /** Forgets what this client knows of the journals of {@code key} (the lease of {@code key} changed hands). */
    private void forget(String leasePath) {
        String stem = PoolStorage.fileName(leasePath);
        int dot = stem.indexOf('.');
        String prefix = PoolStorage.parent(leasePath) + "/" + (dot < 0 ? stem : stem.substring(0, dot + 1));
        lastSlot.keySet().removeIf(p -> p.startsWith(prefix));
    }

    // ---------------------------------------------------------------------------------------------- leases

    /** See the class comment. */
    Storage.Lease lock(String path, Duration wait) {
        String lease = path + LEASE_SUFFIX;
        long deadline = System.nanoTime() + wait.toNanos();
        Observed seen = null;
        while (true) {
            StorageVol mine = tryCreate(lease);
            if (mine != null) {
                return new Heartbeat(lease, mine);
            }
            Optional<String> content = readLease(lease);
            long now = System.nanoTime();
            if (content.isPresent()) {
                if (seen == null || !seen.content.equals(content.get())) {
                    seen = new Observed(content.get(), now);
                } else if (now - seen.since > leaseTtl.toNanos()) {
                    StorageVol taken = takeOver(lease, seen.content);
                    if (taken != null) {
                        return new Heartbeat(lease, taken);
                    }
                }
            }
            if (now > deadline) {
                throw new DomainBusyException("another client holds the lease " + lease + " on " + hostUri
                        + " (" + content.map(HostState::contentOf).map(String::strip).filter(s -> !s.isEmpty())
                                .orElse("a client that has not written its name yet")
                        + "); retry when its operation has finished");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DomainBusyException("interrupted while waiting for " + lease);
            }
        }
    }

    private record Observed(String content, long since) {
    }

    /** Separates a lease's content from its volume's change time in what {@link #readLease(String)} returns. */
    private static final String IDENTITY = "\n@ctime ";

    /** @return the content part of what {@link #readLease(String)} returned */
    private static String contentOf(String observed) {
        int at = observed.indexOf(IDENTITY);
        return at < 0 ? observed : observed.substring(0, at);
    }

    private String leaseText(long beat) {
        String who = clientId + " " + ProcessHandle.current().pid() + "@" + hostName();
        return String.format("%-100.100s %020d%n", who, beat);
    }

    private static volatile String hostName;

    private static String hostName() {
        String h = hostName;
        if (h == null) {
            try {
                h = java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                h = "?";
            }
            hostName = h;
        }
        return h;
    }

    /** @return the lease volume this client just made, or null when the name is taken */
    private StorageVol tryCreate(String lease) {
        String xml = "<volume><name>" + Xml.escape(PoolStorage.fileName(lease)) + "</name><capacity>" + LEASE_LENGTH
                + "</capacity><allocation>0</allocation><target><format type='raw'/><permissions><mode>0600</mode>"
                + "</permissions></target></volume>";
        StorageVol v = storage.inPool(PoolStorage.parent(lease), "creating " + lease, p -> {
            try {
                return p.storageVolCreateXML(xml, 0);
            } catch (LibvirtException taken) {
                if (Volumes.isCode(taken, "VIR_ERR_NO_STORAGE_POOL")) {
                    throw taken;
                }
                return null; // the name is in use: someone holds it
            }
        });
        if (v != null) {
            forget(lease);
        }
        return v;
    }

    private Optional<StorageVol> lookup(String path) {
        return Optional.ofNullable(storage.inPool(PoolStorage.parent(path), "looking up " + path, p -> {
            try {
                return p.storageVolLookupByName(PoolStorage.fileName(path));
            } catch (LibvirtException miss) {
                return null;
            }
        }));
    }

    /**
     * @return what a waiting client observes of a lease: its content and its volume's change time, so that a lease
     *         removed and made again reads differently even while both are still empty; empty when there is none
     */
    Optional<String> readLease(String lease) {
        Optional<StorageVol> vol = lookup(lease);
        if (vol.isEmpty()) {
            return Optional.empty();
        }
        try {
            org.w3c.dom.NodeList ctime = Xml.parse(vol.get().getXMLDesc(0)).getElementsByTagName("ctime");
            String changed = ctime.getLength() > 0 ? ctime.item(0).getTextContent().strip() : "";
            return Optional.of(readLease(conn, vol.get()) + IDENTITY + changed);
        } catch (LibvirtException e) {
            return Optional.empty();
        } finally {
            Volumes.free(vol.get());
        }
    }

    private static String readLease(Connect c, StorageVol v) throws LibvirtException {
        return new String(Volumes.download(c, v, 0, LEASE_LENGTH), StandardCharsets.UTF_8).replace('\0', ' ');
    }

    private void delete(String path) {
        lookup(path).ifPresent(v -> {
            try {
                v.delete(0);
            } catch (LibvirtException e) {
                LOG.warn("cannot remove {}: {}", path, e.getMessage());
            } finally {
                Volumes.free(v);
            }
        });
    }

    /** Removes a lease volume by name (for leases this client does not hold: tests and clean-up). */
    void removeLease(String lease) {
        delete(lease);
    }

    private StorageVol takeOver(String lease, String stale) {
        String guardPath = lease.substring(0, lease.length() - LEASE_SUFFIX.length()) + TAKEOVER_SUFFIX;
        StorageVol guard = tryCreate(guardPath);
        if (guard == null) {
            // Another client is taking over (or died doing so: its guard goes stale like a lease).
            Optional<String> g = readLease(guardPath);
            if (g.isPresent()) {
                Observed o = staleGuards.merge(guardPath, new Observed(g.get(), System.nanoTime()),
                        (a, b) -> a.content.equals(b.content) ? a : b);
                if (System.nanoTime() - o.since > leaseTtl.toNanos()) {
                    LOG.warn("removing the stale take-over guard {}", guardPath);
                    delete(guardPath);
                    staleGuards.remove(guardPath);
                }
            }
            return null;
        }
        try {
            Volumes.upload(conn, guard, 0, leaseText(0).getBytes(StandardCharsets.UTF_8));
            Optional<String> now = readLease(lease);
            if (now.isPresent() && !now.get().equals(stale)) {
                return null; // its holder is alive after all
            }
            LOG.warn("taking over the lease {} of a client that stopped beating: {}", lease,
                    contentOf(stale).strip());
            delete(lease);
            return tryCreate(lease);
        } catch (LibvirtException e) {
            throw new StorageException("taking over " + lease + " failed (libvirt: " + e.getMessage() + ")", e);
        } finally {
            try {
                guard.delete(0);
            } catch (LibvirtException e) {
                LOG.warn("cannot remove {}: {}", guardPath, e.getMessage());
            }
            Volumes.free(guard);
        }
    }

    /** A held lease with its heartbeat thread; the first beat is written at once, off the caller's thread. */
    private final class Heartbeat implements Storage.Lease {
        private final String lease;
        private final StorageVol vol;
        private final Thread beater;
        private volatile boolean released;
        /** Set when the heartbeat found the lease taken over: it is then another client's to remove. */
        private volatile boolean lost;

        Heartbeat(String lease, StorageVol vol) {
            this.lease = lease;
            this.vol = vol;
            this.beater = new Thread(this::beat, "esm-lease-" + PoolStorage.fileName(lease));
            beater.setDaemon(true);
            beater.start();
        }

        private void beat() {
            StorageVol mine = null;
            try {
                if (!pause()) {
                    return; // released before its first beat was due: nothing was written
                }
                Connect c = beatConnection();
                mine = c.storageVolLookupByPath(lease);
                beatOn(c, mine);
            } catch (LibvirtException | RuntimeException e) {
                if (!released) {
                    LOG.warn("the heartbeat of the lease {} cannot run ({}); another client may take the lease over"
                            + " after {}", lease, e.getMessage(), leaseTtl);
                }
            } finally {
                Volumes.free(mine);
            }
        }

        private void beatOn(Connect c, StorageVol hv) {
            for (long n = 0; !released; n++) {
                try {
                    if (n > 0) {
                        Optional<String> now;
                        try {
                            now = Optional.of(readLease(c, hv));
                        } catch (LibvirtException e) {
                            now = Optional.empty();
                        }
                        if (now.isEmpty() || !now.get().startsWith(clientId)) {
                            lost = true;
                            LOG.error("the lease {} was taken over by another client ({}); this client's operation"
                                    + " is no longer protected", lease, now.orElse("gone").strip());
                            return;
                        }
                    }
                    Volumes.upload(c, hv, 0, leaseText(n).getBytes(StandardCharsets.UTF_8));
                } catch (LibvirtException e) {
                    LOG.warn("renewing the lease {} failed: {}", lease, e.getMessage());
                }
                if (!pause()) {
                    return;
                }
            }
        }

        /** @return after a third of the lease time, whether the lease is still held (false: released meanwhile) */
        private boolean pause() {
            try {
                Thread.sleep(Math.max(100, leaseTtl.toMillis() / 3));
            } catch (InterruptedException e) {
                return false;
            }
            return !released;
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
            try {
                if (!lost) {
                    vol.delete(0);
                }
            } catch (LibvirtException e) {
                LOG.warn("cannot remove the lease {}: {}", lease, e.getMessage());
            } finally {
                Volumes.free(vol);
            }
        }
    }

    /** @return the heartbeats' connection, opened on first use */
    private synchronized Connect beatConnection() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (beatConn == null) {
            beatConn = LibvirtHost.open(hostUri);
        }
        return beatConn;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (beatConn != null) {
                try {
                    beatConn.close();
                } catch (LibvirtException e) {
                    LOG.debug("closing the heartbeat connection failed: {}", e.getMessage());
                }
                beatConn = null;
            }
        }
        journalVolumes.values().forEach(Volumes::free);
        journalVolumes.clear();
        lastSlot.clear();
    }
}
