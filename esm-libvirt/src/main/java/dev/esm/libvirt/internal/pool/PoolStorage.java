package dev.esm.libvirt.internal.pool;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import dev.esm.api.ProgressListener;
import dev.esm.api.errors.StorageException;
import dev.esm.core.model.Names;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Storage;
import dev.esm.core.xml.Xml;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;
import dev.esm.libvirt.internal.connect.LibvirtErrors;

/**
 * The file operations over libvirt's storage API, for hosts whose files this process cannot see (remote URIs
 * such as {@code qemu+ssh://}). Every folder ESM uses is a libvirt {@code dir} storage pool: an existing pool
 * whose target is that folder, else a transient pool ESM creates (named {@code esm-<folder>-<hash>}; it
 * vanishes when libvirtd restarts and is made again when needed).
 *
 * <ul>
 *   <li>Overlays: {@code virStorageVolCreateXML} with the backing image and its format given explicitly
 *       (qcow2 v3, mode 0600); creation is exclusive (a volume of that name makes it fail).</li>
 *   <li>Backing references are read from the image header itself, downloaded through a stream (libvirt's
 *       volume description can lag behind a header rewritten since its last pool refresh).</li>
 *   <li>Copies ({@link #place}) move the bytes unchanged through this process and are verified by reading the
 *       copy back: libvirt's own host-side copy converts by the format it probes and flattens backing chains,
 *       and ESM never lets a format be probed.</li>
 *   <li>Offline merges hot-plug the image chain into a transient, paused helper domain and run a libvirt block
 *       commit in it (libvirt has no offline commit); helpers are kept for the next merge and die with this
 *       client's connection ({@link HelperDomainMerges}).</li>
 *   <li>Rebase rewrites the header's backing reference in place (download, rewrite, upload of the first
 *       cluster), as {@code qemu-img rebase -u} would.</li>
 *   <li>Journals and locks live on the host: a domain's journal in its own persistent definition (one
 *       {@code virDomainSetMetadata} call per write, {@link dev.esm.libvirt.internal.state.DomainJournals}); journals too large for that, and
 *       those of the previous release, in the state pool ({@code /var/lib/libvirt/esm} unless
 *       {@code SnapshotManager.Builder.hostStateDirectory} says otherwise) as two checksummed slots in one volume (a torn write leaves the
 *       previous version readable); locks as leases with a heartbeat, volumes of the state pool
 *       ({@link dev.esm.libvirt.internal.state.HostState}).</li>
 * </ul>
 *
 * <p>Costs: every call is a round trip to libvirtd; an upload or download is two. libvirtd refreshes the whole
 * pool after every upload (in the background, but the pool's next call waits for it), at about 60 µs per
 * volume here: so overlays are uploaded (one refresh of the images folder per disk) rather than made by
 * {@code qemu-img} on the host (about 35 ms per disk); journals are not uploaded at all (above); the overlays
 * this client made keep their handles, so removing one later takes no lookup.
 *
 * <p>Thread-safety: thread-safe. Every libvirt object is freed before the call that looked it up returns, except
 * pool handles (kept until {@link #close}) and those {@link dev.esm.libvirt.internal.state.HostState} keeps.
 */
public final class PoolStorage implements Storage, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PoolStorage.class);
    private static final int CHUNK = Volumes.CHUNK;

    private final Connect conn;
    private final dev.esm.core.port.Host host;
    /** The pools over folders, their handles, volume lookups. */
    private final PoolRegistry pools;
    /** Reads the images' headers and rewrites their backing references. */
    private final VolumeImages images;
    /** The layout of an overlay a live pull will go into. */
    private final dev.esm.api.OverlayLayout pullable;
    /** Makes the overlays. */
    private final OverlayCreator overlays;
    /** Copies through the client, checksummed. */
    private final VolumeCopier copier;
    /** A file's bytes to and from another host. */
    private final VolumeStreams streams;
    /** The state folder and its pool. */
    private final StateFolder stateFolder;
    /** Offline merges and pulls, in helper domains. */
    private final HelperDomainMerges merges;

    /**
     * @param conn the connection (owned by {@code host})
     * @param host the host, for the helper domains of offline merges
     * @param running the names of the host's running domains (for merge helpers left by stopped clients)
     * @param stateDir the host's folder for journals and leases (its pool is {@link #statePool()})
     * @param layout how the overlays it makes are laid out (the host's QEMU and libvirt must support it)
     * @param pullable how an overlay a live pull will go into is laid out (the host's QEMU must pull into it)
     */
    public PoolStorage(Connect conn, dev.esm.core.port.Host host, java.util.function.Supplier<java.util.List<String>> running,
                String stateDir, dev.esm.api.OverlayLayout layout, dev.esm.api.OverlayLayout pullable) {
        this.conn = conn;
        this.host = host;
        this.pools = new PoolRegistry(conn, host.uri());
        this.stateFolder = new StateFolder(conn, pools, stateDir);
        this.copier = new VolumeCopier(conn, pools);
        this.streams = new VolumeStreams(conn, pools, this::removeQuietly);
        this.overlays = new OverlayCreator(conn, pools, this, layout);
        this.pullable = java.util.Objects.requireNonNull(pullable, "pullable");
        this.images = new VolumeImages(conn, pools);
        this.merges = new HelperDomainMerges(conn, host, running);
    }

    /** @return the pool over the state folder, for the state store ({@link dev.esm.libvirt.internal.state.PoolState}) */
    public StatePool statePool() {
        return stateFolder;
    }

    /** @return the connection (for tests) */
    public Connect connection() {
        return conn;
    }

    // ---------------------------------------------------------------------------------------------------- pools

    // ---------------------------------------------------------------------------------------------- Storage

    /** Without rescanning a folder: libvirt's pools know every file made through them. */
    @Override
    public boolean existsCheaply(String path) {
        Optional<StorageVol> known = pools.inKnownPool(path);
        if (known != null) {
            known.ifPresent(PoolStorage::free);
            return known.isPresent() || pools.knows(path);
        }
        try {
            free(conn.storageVolLookupByPath(path));
            return true;
        } catch (LibvirtException miss) {
            return pools.knows(path);
        }
    }

    @Override
    public boolean exists(String path) {
        Optional<StorageVol> v = pools.volume(path);
        v.ifPresent(PoolStorage::free);
        return v.isPresent() || pools.knows(path) && pools.pool(path, false).isPresent();
    }

    /** The file's length (a volume's capacity is its length for a file libvirt calls raw). */
    @Override
    public long size(String path) {
        return pools.withVolume(path, "reading the size of", v -> Volumes.longOf(Xml.parse(v.getXMLDesc(0)).getDocumentElement(),
                "capacity"));
    }

    @Override
    public ImageInfo info(String path, ImageFormat format) {
        return images.info(path, format);
    }

    @Override
    public Optional<DiskImage> backing(String path, ImageFormat format) {
        return images.backing(path, format);
    }

    /** The crypt method in a qcow2 header, or a LUKS header at the start of a volume read as raw. */
    @Override
    public boolean encrypted(String path, ImageFormat format) {
        return images.encrypted(path, format);
    }

    @Override
    public boolean subclusters(String path) {
        return images.subclusters(path);
    }

    @Override
    public Optional<BackingReference> backingReference(String path, ImageFormat format) {
        return images.backingReference(path, format);
    }

    /** Creates the overlay: see {@link OverlayCreator#create}. */
    @Override
    public void createOverlay(String path, DiskImage backing) {
        overlays.keep(path, overlays.create(path, backing));
        LOG.debug("created overlay {} on {}", path, backing.path());
    }

    /** Creates the overlay as {@link #createOverlay} does, in the layout the host's QEMU pulls into. */
    @Override
    public void createPullableOverlay(String path, DiskImage backing) {
        overlays.keep(path, overlays.create(path, backing, pullable));
        LOG.debug("created overlay {} on {} ({}: a live pull will go into it)", path, backing.path(), pullable);
    }

    /** Sets {@link OverlayCreator#UPLOAD_LIMIT} (tests: 0 makes every overlay libvirt's, a large one every overlay uploaded). */
    public void uploadLimit(int files) {
        overlays.uploadLimit(files);
    }

    @Override
    public void makeDirectory(String path) {
        pools.pool(path, true);
    }

    @Override
    public void place(String from, String to) {
        if (exists(to)) {
            throw new StorageException("'" + to + "' exists already; ESM never overwrites a file");
        }
        copyInto(from, to, "<mode>0600</mode>");
    }

    /**
     * libvirt's uploads write into a volume without truncating it, and libvirt has no rename, so a volume cannot take
     * new content of another length in place: a replaced {@code to} is removed and made anew with {@code from}'s
     * bytes (verified), and with the owner, group and mode libvirt describes it with (libvirtd creates the volume as
     * that owner: a TPM's state stays swtpm's). Until the upload is done {@code to} is missing or short; the step
     * that copies is done again by recovery.
     */
    @Override
    public void copy(String from, String to) {
        if (!exists(from)) {
            throw new StorageException("'" + from + "' does not exist");
        }
        String permissions = pools.volume(to).map(v -> {
            try {
                return VolumeCopier.permissionsOf(v);
            } catch (LibvirtException e) {
                throw new StorageException("reading the owner and mode of '" + to + "' failed: " + e.getMessage(), e);
            } finally {
                free(v);
            }
        }).orElse("<mode>0600</mode>");
        remove(to);
        copyInto(from, to, permissions);
    }

    /** Makes the volume {@code to} (which must not exist) with these permissions and {@code from}'s bytes. */
    private void copyInto(String from, String to, String permissions) {
        long size = pools.withVolume(from, "reading", v -> {
            Element root = Xml.parse(v.getXMLDesc(0)).getDocumentElement();
            return Xml.child(root, "physical").map(e -> Long.parseLong(e.getTextContent().trim()))
                    .orElse(Volumes.longOf(root, "capacity"));
        });
        String xml = "<volume><name>" + Xml.escape(Volumes.fileName(to)) + "</name><capacity>" + size + "</capacity>"
                + "<allocation>0</allocation><target><format type='raw'/><permissions>" + permissions
                + "</permissions></target></volume>";
        dev.esm.core.port.Fencing.check(); // read, then made: not by a client that lost its lease meanwhile
        pools.inPool(Volumes.parent(to), "creating '" + to + "'", p -> {
            p.storageVolCreateXML(xml, 0).free();
            return null;
        });
        try {
            long written = copier.copy(from, to, size);
            long readBack = pools.withVolume(to, "verifying the copy", v -> copier.checksum(v, size));
            if (readBack != written) {
                throw new StorageException("the copy of '" + from + "' at '" + to + "' does not match the original;"
                        + " the original is untouched");
            }
            LOG.debug("copied {} to {} through the client ({} bytes, verified)", from, to, size);
        } catch (RuntimeException e) {
            removeQuietly(to);
            throw e instanceof StorageException se ? se : new StorageException("copying '" + from + "' to '" + to
                    + "' failed: " + e.getMessage() + "; the original is untouched", e);
        }
    }

    /** Asks the pool over the folder, or over the nearest folder above it that exists, refreshed first. */
    @Override
    public java.util.OptionalLong freeBytes(String directory) {
        return streams.freeBytes(directory);
    }

    @Override
    public dev.esm.core.port.ByteSource readBytes(String path) {
        return streams.read(path);
    }

    @Override
    public dev.esm.core.port.ByteSink writeBytes(String path, long length) {
        return streams.write(path, length);
    }

    @Override
    public dev.esm.core.port.ByteSink overwriteBytes(String path, long length) {
        return streams.overwrite(path, length);
    }

    /** Merges in a paused helper domain on the host, kept for the next merge: see {@link HelperDomainMerges}. */
    @Override
    public void commit(String top, String base, String disk, ProgressListener listener, Cancellation cancel) {
        merges.commit(top, base, disk, listener, cancel);
    }

    /**
     * Pulls in a paused helper domain on the host, kept for the next job: a block pull with {@code anchor} as its
     * base (see {@link HelperDomainMerges}); QEMU writes the new backing name, {@code anchor}'s path, into the header.
     */
    @Override
    public void pull(String image, DiskImage anchor, String disk, ProgressListener listener, Cancellation cancel) {
        merges.pull(image, anchor.path(), disk, listener, cancel);
    }

    /** Rewrites the header's backing reference in place: see {@link VolumeImages#rebase}. */
    @Override
    public void rebase(String image, DiskImage newBacking) {
        images.rebase(image, newBacking);
        LOG.debug("pointed {} at {}", image, newBacking.path());
    }

    // ------------------------------------------------------------------------------- state: journals and locks

    /** @return the host's state folder, with a pool over it (both made if missing) */
    public String stateDirectory() {
        return stateFolder.folder();
    }

    @Override
    public List<String> list(String directory) {
        Optional<String> name = pools.pool(directory, false);
        if (name.isEmpty()) {
            return List.of();
        }
        StoragePool p = null;
        try {
            p = conn.storagePoolLookupByName(name.get());
            PoolRegistry.refresh(p);
            List<String> out = new ArrayList<>();
            for (String v : p.listVolumes()) {
                StorageVol vol = p.storageVolLookupByName(v);
                try {
                    if ("file".equals(volumeType(vol))) {
                        out.add(Names.join(directory, v));
                    }
                } finally {
                    free(vol);
                }
            }
            out.sort(null);
            return out;
        } catch (LibvirtException e) {
            throw new StorageException("listing " + directory + " failed (libvirt: " + e.getMessage() + ")", e);
        } finally {
            Volumes.free(p);
        }
    }

    @Override
    public void remove(String path) {
        StorageVol made = overlays.made(path);
        Optional<StorageVol> v = made != null ? Optional.of(made) : pools.volume(path);
        if (v.isEmpty()) {
            return;
        }
        try {
            if (pools.knows(path)) {
                pools.dropPool(path); // a folder ESM made a pool over
            }
            dev.esm.core.port.Fencing.check(); // looked up, then deleted: not by a client that lost its lease
            v.get().delete(0); // a file, or an empty folder (libvirt removes a folder volume with rmdir)
            overlays.counted(Volumes.parent(path), -1);
            LOG.debug("removed {}", path);
        } catch (LibvirtException e) {
            if (made == null || !LibvirtErrors.isCode(e, "VIR_ERR_NO_STORAGE_VOL")) {
                throw new StorageException("cannot remove '" + path + "' (libvirt: " + e.getMessage() + ")", e);
            }
            LOG.debug("{} was removed already", path); // by hand, or by another client (a kept handle)
        } finally {
            free(v.get());
        }
    }

    /**
     * @return the volume's type attribute ({@code file}, {@code dir}, ...): libvirt-java's {@code getInfo} knows
     *         only file and block volumes and fails on the others
     */
    private static String volumeType(StorageVol v) throws LibvirtException {
        return Xml.parse(v.getXMLDesc(0)).getDocumentElement().getAttribute("type");
    }

    private void removeQuietly(String path) {
        try {
            remove(path);
        } catch (RuntimeException e) {
            LOG.warn("cannot remove {}: {}", path, e.toString());
        }
    }

    @Override
    public void close() {
        merges.close();
        overlays.close();
        pools.close();
    }

    private static void free(StorageVol v) {
        Volumes.free(v);
    }
}
