package dev.esm.libvirt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot XMLs of each domain read before, kept so that reading a whole tree does not cost one libvirt lookup
 * and one XML per snapshot, and revalidated on every read against libvirt's own change markers: its snapshot
 * metadata files ({@link Markers}: {@code <snapshot dir>/<domain>/<snapshot>.xml}).
 *
 * <p>Why the markers are enough: libvirt writes a snapshot's metadata file whenever the snapshot is created,
 * redefined or made (or unmade) current, always as a new file renamed over the old one, and removes it when the
 * snapshot (or its metadata) is deleted. So every change, by ESM or by anyone else ({@code virsh
 * snapshot-create --redefine}, {@code snapshot-delete --metadata}, a new snapshot, another current snapshot) changes
 * the directory's modification time, and the changed file gets a new inode and modification time. A read
 * <ul>
 * <li>takes the cached list as it is when the directory's stamp (inode, modification time, size) is the one seen
 *     before, that earlier read was settled, and libvirt's snapshot count (one cheap call) agrees;</li>
 * <li>otherwise lists the names (one call) and fetches the XML of each snapshot whose file's stamp differs from the
 *     cached one (or is too recent to be trusted), reusing the others;</li>
 * <li>falls back to a full read (nothing cached) when the markers cannot be read: no local metadata directory
 *     (a remote URI, another user's daemon), or a listed snapshot without its file.</li>
 * </ul>
 * File times have a granularity (the kernel's clock tick): two changes within one tick can leave the same time. A
 * read is therefore settled only when the directory's time lies more than {@link #RACY_MILLIS} before the read began
 * (the "racy clean" rule of git), and a file's cached XML is reused only under the same condition; a change that
 * happened later must then give a later time. A wall clock stepped backwards by more than that window could hide a
 * change until the next one.
 *
 * <p>ESM's own writes go through {@link #changed}, which forgets the domain's settled state (the next read
 * revalidates every file) and checks that the write moved the directory's stamp: a directory that does not move is
 * not the daemon's (another root, a stale copy) and the markers are then not used again for this cache.
 *
 * <p>Thread-safety: thread-safe. Each domain's entry is an immutable value in a concurrent map, replaced whole; two
 * reads of one domain at once may both fetch, and either's result is kept (each entry's stamps were read before its
 * XMLs, so a stale entry is revalidated like any other).
 */
final class SnapshotCache {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotCache.class);
    /** How far behind a read's start a stamp must lie to be trusted: far above any file-time granularity. */
    static final long RACY_MILLIS = 1000;

    /** A file's identity and version: inode (file key), modification time, size. */
    record Stamp(Object key, long modifiedNanos, long size) {
        boolean settledBefore(long millis) {
            return modifiedNanos / 1_000_000 < millis - RACY_MILLIS;
        }
    }

    /** libvirt's snapshot metadata files of a domain. */
    interface Markers {
        /** @return the stamp of the domain's snapshot directory, empty when there is none or it cannot be read */
        Optional<Stamp> directory(String domain);

        /** @return the stamp of one snapshot's metadata file, empty when it does not exist or cannot be read */
        Optional<Stamp> file(String domain, String snapshot);
    }

    /** The libvirt calls on one domain (each may throw as the host does). */
    interface Source {
        /** @return the snapshots' names (one call) */
        List<String> names() throws LibvirtException;

        /** @return how many snapshots there are (one cheap call) */
        int count() throws LibvirtException;

        /** @return one snapshot's full XML */
        String xml(String name) throws LibvirtException;
    }

    private record Cached(String xml, Stamp stamp) {
    }

    /**
     * @param directory the directory's stamp when the read began
     * @param began when the read began (wall clock, ms)
     * @param byName every snapshot, in libvirt's order
     * @param settled whether the fast path may trust {@code directory}
     */
    private record Entry(Stamp directory, long began, Map<String, Cached> byName, List<String> xmls,
                         boolean settled) {
    }

    private final Markers markers;
    private final LongSupplier clock;
    private final ConcurrentMap<String, Entry> entries = new ConcurrentHashMap<>();
    private volatile boolean markersWork = true;
    /** How many domains are kept before all are forgotten (and read again as needed). */
    private static final int MAX_DOMAINS = 1000;

    /**
     * @param markers libvirt's metadata files, or null when there are none to read (every read is then full)
     * @param clock the wall clock in ms
     */
    SnapshotCache(Markers markers, LongSupplier clock) {
        this.markers = markers;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.markersWork = markers != null;
    }

    /** @return whether reads use the markers (false: every read is a full read) */
    boolean active() {
        return markersWork;
    }

    /** @return every snapshot's XML, in libvirt's order: from the cache where the markers say it is unchanged */
    List<String> all(String domain, Source source) throws LibvirtException {
        if (!markersWork) {
            return full(source);
        }
        long began = clock.getAsLong();
        Optional<Stamp> dir = markers.directory(domain);
        if (dir.isEmpty()) {
            entries.remove(domain);
            return full(source);
        }
        Entry e = entries.get(domain);
        if (e != null && e.settled() && e.directory().equals(dir.get()) && source.count() == e.xmls().size()) {
            return e.xmls();
        }
        Map<String, Cached> byName = new HashMap<>();
        List<String> xmls = new ArrayList<>();
        boolean complete = true;
        int fetched = 0;
        for (String name : source.names()) {
            Optional<Stamp> stamp = markers.file(domain, name);
            Cached old = e == null ? null : e.byName().get(name);
            String xml;
            if (old != null && stamp.isPresent() && stamp.get().equals(old.stamp())
                    && old.stamp().settledBefore(e.began())) {
                xml = old.xml();
            } else {
                xml = source.xml(name);
                fetched++;
            }
            complete &= stamp.isPresent();
            byName.put(name, new Cached(xml, stamp.orElse(null)));
            xmls.add(xml);
        }
        List<String> result = List.copyOf(xmls);
        Optional<Stamp> after = markers.directory(domain);
        boolean settled = complete && after.equals(dir) && dir.get().settledBefore(began);
        if (complete) {
            if (entries.size() > MAX_DOMAINS) {
                entries.clear();
            }
            entries.put(domain, new Entry(dir.get(), began, Map.copyOf(byName), result, settled));
        } else {
            LOG.debug("domain '{}': a snapshot has no metadata file; its snapshots are read in full", domain);
            entries.remove(domain);
        }
        LOG.debug("domain '{}': {} snapshots, {} fetched{}", domain, xmls.size(), fetched, settled ? "" : " (unsettled)");
        return result;
    }

    /**
     * @return one snapshot's XML: the cached one when its file is unchanged since a settled read, else fetched
     */
    String one(String domain, String name, java.util.function.Supplier<String> fetch) {
        if (markersWork) {
            Entry e = entries.get(domain);
            Cached c = e == null ? null : e.byName().get(name);
            if (c != null && c.stamp().settledBefore(e.began())
                    && markers.file(domain, name).filter(c.stamp()::equals).isPresent()) {
                return c.xml();
            }
        }
        return fetch.get();
    }

    /**
     * @return the domain's marker for a tree index ({@link dev.esm.core.port.Host#snapshotStamp}): {@code ""} without
     *         markers, the directory's stamp as text when it is settled, empty when it is too recent to be trusted
     */
    Optional<String> marker(String domain) {
        if (!markersWork) {
            return Optional.of("");
        }
        Optional<Stamp> dir = markers.directory(domain);
        if (dir.isEmpty()) {
            return Optional.of("absent");
        }
        Stamp s = dir.get();
        return s.settledBefore(clock.getAsLong()) ? Optional.of(s.key() + "/" + s.modifiedNanos() + "/" + s.size())
                : Optional.empty();
    }

    /** @return the directory's stamp now, to be passed to {@link #changed} after a write */
    Optional<Stamp> before(String domain) {
        return markersWork ? markers.directory(domain) : Optional.empty();
    }

    /**
     * Called after ESM changed (or tried to change) the domain's snapshots: the next read revalidates every file. A
     * write that succeeded but did not move an old, settled directory stamp shows that the directory is not the
     * daemon's, and the markers are dropped.
     *
     * @param before the directory's stamp before the write ({@link #before})
     * @param succeeded whether the write succeeded
     */
    void changed(String domain, Optional<Stamp> before, boolean succeeded) {
        entries.computeIfPresent(domain, (d, e) -> new Entry(e.directory(), e.began(), e.byName(), e.xmls(), false));
        if (!succeeded || !markersWork || before.isEmpty() || !before.get().settledBefore(clock.getAsLong())) {
            return;
        }
        if (markers.directory(domain).equals(before)) {
            LOG.info("libvirt's snapshot metadata of domain '{}' did not change with a snapshot change: it is not read"
                    + " from here; snapshot trees are read in full from now on", domain);
            markersWork = false;
            entries.clear();
        }
    }

    /** Forgets a domain (undefined, renamed). */
    void forget(String domain) {
        entries.remove(domain);
    }

    private static List<String> full(Source source) throws LibvirtException {
        List<String> out = new ArrayList<>();
        for (String name : source.names()) {
            out.add(source.xml(name));
        }
        return out;
    }
}
