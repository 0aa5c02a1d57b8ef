package dev.esm.libvirt;

import dev.esm.core.port.SnapshotFlag;
import dev.esm.core.xml.Xml;
import dev.esm.libvirt.internal.connect.DomainCalls;
import dev.esm.libvirt.internal.connect.LibvirtErrors;
import dev.esm.libvirt.internal.connect.LibvirtFlags;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot-metadata calls of {@link LibvirtHost} (the {@link dev.esm.core.port.Host} methods on snapshots): list,
 * read, create, redefine and delete a domain's snapshot metadata, its snapshot names, stamp and current snapshot.
 * Reads go through the {@link SnapshotCache} (revalidated at each read against libvirt's metadata files when the
 * daemon is on this machine, {@link MetadataFiles}); every change tells the cache, whether it succeeded or not. Every
 * libvirt snapshot object is freed before the call that looked it up returns.
 *
 * <p>Thread-safety: thread-safe; its state is the snapshot cache (thread-safe), and its calls go through
 * {@link DomainCalls} (thread-safe).
 */
final class SnapshotMetadataCalls {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotMetadataCalls.class);

    /** Calls on domains, through the host's connections on kept handles. */
    private final DomainCalls calls;
    /** Fails once the host is closed (for a read the cache may serve without a call). */
    private final Runnable checkOpen;
    /** The snapshots' XMLs read before, revalidated at each read. */
    private final SnapshotCache snapshots;

    /**
     * @param uri the connection's URI (where libvirt's metadata files are, if on this machine)
     * @param markers {@link dev.esm.api.Settings#snapshotMarkers()}: false, every tree read is a full read
     * @param calls the host's calls on domains
     * @param checkOpen fails once the host is closed
     */
    SnapshotMetadataCalls(String uri, boolean markers, DomainCalls calls, Runnable checkOpen) {
        this.calls = calls;
        this.checkOpen = checkOpen;
        this.snapshots = new SnapshotCache(markers ? MetadataFiles.forUri(uri).orElse(null) : null,
                System::currentTimeMillis);
        LOG.debug("snapshot trees of {} are {}", uri, snapshots.active()
                ? "cached, checked against libvirt's metadata files"
                : "read in full (no local metadata files to check a cache against)");
    }

    /** @return whether tree reads are served from the cache (false: every read is full) */
    boolean caches() {
        return snapshots.active();
    }

    private static void free(DomainSnapshot s) {
        if (s != null) {
            try {
                s.free();
            } catch (LibvirtException e) {
                LOG.debug("freeing a snapshot object failed: {}", e.toString());
            }
        }
    }

    /** @see dev.esm.core.port.Host#snapshotXmls */
    List<String> snapshotXmls(String domain) {
        return calls.withDomain(domain, "listing the snapshots", d -> snapshots.all(domain, new SnapshotCache.Source() {
            @Override
            public List<String> names() throws LibvirtException {
                return List.of(d.snapshotListNames());
            }

            @Override
            public int count() throws LibvirtException {
                return d.snapshotNum();
            }

            @Override
            public String xml(String name) throws LibvirtException {
                return snapshotXml(d, name);
            }
        }));
    }

    private static String snapshotXml(Domain d, String name) throws LibvirtException {
        DomainSnapshot s = null;
        try {
            s = d.snapshotLookupByName(name);
            return s.getXMLDesc(LibvirtFlags.SNAPSHOT_XML_SECURE);
        } finally {
            free(s);
        }
    }

    /** One call ({@code virDomainSnapshotListNames}), in the order {@link #snapshotXmls} gives. */
    Optional<List<String>> snapshotNames(String domain) {
        return Optional.of(calls.withDomain(domain, "listing the snapshots", d -> List.of(d.snapshotListNames())));
    }

    /** The stamp of libvirt's metadata directory of the domain when it is on this machine ({@link MetadataFiles}). */
    Optional<String> snapshotStamp(String domain) {
        return snapshots.marker(domain);
    }

    /** @see dev.esm.core.port.Host#snapshotCount */
    /** Forgets what is cached of a domain that is no longer on this host (undefined, migrated away). */
    void forget(String domain) {
        snapshots.forget(domain);
    }

    int snapshotCount(String domain) {
        return calls.withDomain(domain, "counting the snapshots", Domain::snapshotNum);
    }

    /** @see dev.esm.core.port.Host#snapshotXml */
    String snapshotXml(String domain, String name) {
        checkOpen.run();
        return snapshots.one(domain, name,
                () -> calls.withDomain(domain, "reading snapshot '" + name + "'", d -> snapshotXml(d, name)));
    }

    /** Runs a change of the domain's snapshots and tells the cache (whether it succeeded or not). */
    private void changingSnapshots(String domain, String doing, DomainCalls.VoidDomainCall call) {
        Optional<SnapshotCache.Stamp> before = snapshots.before(domain);
        boolean done = false;
        try {
            calls.withDomainDo(domain, doing, call);
            done = true;
        } finally {
            snapshots.changed(domain, before, done);
        }
    }

    /** @see dev.esm.core.port.Host#currentSnapshot */
    Optional<String> currentSnapshot(String domain) {
        return currentSnapshotXml(domain).flatMap(xml -> Xml.childText(Xml.parse(xml).getDocumentElement(), "name"));
    }

    /** Two calls: the current snapshot (libvirt's error when there is none) and its XML. */
    Optional<String> currentSnapshotXml(String domain) {
        return calls.withDomain(domain, "reading the current snapshot", d -> {
            DomainSnapshot s = null;
            try {
                s = d.snapshotCurrent();
                return Optional.of(s.getXMLDesc(LibvirtFlags.SNAPSHOT_XML_SECURE));
            } catch (LibvirtException e) {
                if (LibvirtErrors.isCode(e, "VIR_ERR_NO_DOMAIN_SNAPSHOT")) {
                    return Optional.<String>empty();
                }
                throw e;
            } finally {
                free(s);
            }
        });
    }

    /** @see dev.esm.core.port.Host#createSnapshot */
    void createSnapshot(String domain, String xml, Set<SnapshotFlag> flags) {
        changingSnapshots(domain, "taking a snapshot", d -> free(d.snapshotCreateXML(xml, LibvirtFlags.snapshotCreate(flags))));
    }

    /** @see dev.esm.core.port.Host#redefineSnapshot */
    void redefineSnapshot(String domain, String xml, boolean makeCurrent) {
        changingSnapshots(domain, "redefining a snapshot",
                d -> free(d.snapshotCreateXML(xml, LibvirtFlags.snapshotRedefine(makeCurrent))));
    }

    /** @see dev.esm.core.port.Host#deleteSnapshotMetadata */
    void deleteSnapshotMetadata(String domain, String name) {
        changingSnapshots(domain, "removing the metadata of snapshot '" + name + "'", d -> {
            DomainSnapshot s = null;
            try {
                s = d.snapshotLookupByName(name);
                s.delete(LibvirtFlags.SNAPSHOT_DELETE_METADATA_ONLY);
            } finally {
                free(s);
            }
        });
    }
}
