package dev.esm.libvirt.internal.state;

import dev.esm.api.errors.StorageException;
import dev.esm.core.xml.Xml;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StorageVol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.esm.libvirt.internal.connect.LibvirtErrors;
import dev.esm.libvirt.internal.pool.PoolStorage;
import dev.esm.libvirt.internal.pool.StatePool;
import dev.esm.libvirt.internal.pool.Volumes;

/**
 * ESM's journals on a host reached only through libvirt's storage API, kept as volumes of the state pool, so that
 * every client of the host (on any machine) sees the same ones. Part of {@link PoolStorage}.
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
 * the lease of the same domain is taken (another client may have written meanwhile; leases are {@link VolumeLeases}).
 *
 * <p>Thread-safety: thread-safe. Volume handles of journals are kept (one per journal, freed by {@link #close}).
 */
public final class HostState implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HostState.class);
    public static final int HEADER = 64;
    /** The size of a slot's region: a header and a content of up to {@code REGION - HEADER} bytes. */
    public static final int REGION = 32 * 1024;
    /** The largest content a journal holds. */
    public static final int MAX_BODY = 8 << 20;
    private static final String MAGIC = "esm2";

    private final Connect conn;
    private final StatePool pool;

    /** A journal's slot as this client last wrote or read it. */
    private record Slot(int index, long seq, int length) {
        public static final Slot NONE = new Slot(1, 0, 0); // the first write goes to slot 0
    }

    private final Map<String, Slot> lastSlot = new ConcurrentHashMap<>();
    private final Map<String, StorageVol> journalVolumes = new ConcurrentHashMap<>();

    public HostState(Connect conn, StatePool pool) {
        this.conn = conn;
        this.pool = pool;
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
        String name = Volumes.fileName(path);
        StorageVol v = pool.call("looking up " + path, p -> {
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
                if (attempt > 0 || !LibvirtErrors.isCode(e, "VIR_ERR_NO_STORAGE_VOL")) {
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
    public interface VolCall<T> {
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
    public void write(String path, String content) {
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
    public Optional<String> read(String path) {
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
    public void remove(String path) {
        lastSlot.remove(path);
        StorageVol v = journalVolumes.remove(path);
        try {
            if (v == null) {
                v = pool.call("looking up " + path, p -> {
                    try {
                        return p.storageVolLookupByName(Volumes.fileName(path));
                    } catch (LibvirtException miss) {
                        return null;
                    }
                });
            }
            if (v != null) {
                v.delete(0);
            }
        } catch (LibvirtException e) {
            if (!LibvirtErrors.isCode(e, "VIR_ERR_NO_STORAGE_VOL")) {
                throw new StorageException("cannot remove " + path + " (libvirt: " + e.getMessage() + ")", e);
            }
        } finally {
            Volumes.free(v);
        }
    }

    /** Forgets what this client knows of the journals of {@code key} (it has just taken the lease of {@code key}). */
    public void forget(String leasePath) {
        String stem = Volumes.fileName(leasePath);
        int dot = stem.indexOf('.');
        String prefix = Volumes.parent(leasePath) + "/" + (dot < 0 ? stem : stem.substring(0, dot + 1));
        lastSlot.keySet().removeIf(p -> p.startsWith(prefix));
    }

    @Override
    public void close() {
        journalVolumes.values().forEach(Volumes::free);
        journalVolumes.clear();
        lastSlot.clear();
    }
}
