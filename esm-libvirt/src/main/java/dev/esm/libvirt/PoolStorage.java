package dev.esm.libvirt;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import dev.esm.api.Progress;
import dev.esm.api.ProgressListener;
import dev.esm.api.errors.DomainBusyException;
import dev.esm.api.errors.StorageException;
import dev.esm.core.model.Names;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Storage;
import dev.esm.core.xml.Xml;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.libvirt.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

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
 *   <li>Offline merges run a transient, paused helper domain on the image chain and a libvirt block commit in
 *       it (libvirt has no offline commit); the helper is destroyed afterwards.</li>
 *   <li>Rebase rewrites the header's backing reference in place (download, rewrite, upload of the first
 *       cluster), as {@code qemu-img rebase -u} would.</li>
 *   <li>Journals and locks live on the host, in the state pool ({@code /var/lib/libvirt/esm} unless
 *       {@code -Desm.hostStateDir} says otherwise): journals as versioned volumes with a checksum (a torn
 *       write leaves the previous version readable), locks as leases (see {@link #lock}).</li>
 * </ul>
 *
 * <p>Thread-safety: thread-safe. Every libvirt object is freed before the call that looked it up returns; only
 * pool names are cached.
 */
public final class PoolStorage implements Storage, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PoolStorage.class);
    /** {@code VIR_STORAGE_POOL_CREATE_WITH_BUILD}: make the folder (and its parents) if missing. */
    static final int POOL_CREATE_WITH_BUILD = 1;
    /** {@code VIR_DOMAIN_START_PAUSED}. */
    static final int DOMAIN_START_PAUSED = 1;
    private static final String STATE_POOL = "esm-state";
    private static final int CHUNK = 256 * 1024;
    private static final String LEASE_SUFFIX = ".lease";
    /** A lease's content: who holds it (100 characters), a space, the heartbeat counter (20 digits), a newline. */
    private static final int LEASE_LENGTH = 122;

    private final Connect conn;
    private final LibvirtHost host;
    private final Map<String, String> poolByFolder = new ConcurrentHashMap<>();
    private final String stateDir;
    private final Duration leaseTtl;
    private final String clientId = UUID.randomUUID().toString();
    private volatile String arch;

    /**
     * @param conn the connection (owned by {@code host})
     * @param host the host, for the helper domains of offline merges
     */
    PoolStorage(Connect conn, LibvirtHost host) {
        this.conn = conn;
        this.host = host;
        this.stateDir = System.getProperty("esm.hostStateDir", "/var/lib/libvirt/esm");
        this.leaseTtl = Duration.parse(System.getProperty("esm.leaseTtl", "PT30S"));
    }

    /** @return the connection (for tests) */
    Connect connection() {
        return conn;
    }

    // ---------------------------------------------------------------------------------------------------- pools

    private static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }

    private static String fileName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** @return the name of an active pool over {@code folder}, made if needed (with the folder when build) */
    private Optional<String> pool(String folder, boolean build) {
        String cached = poolByFolder.get(folder);
        if (cached != null) {
            return Optional.of(cached); // a pool that vanished since shows as a failed call, which drops it
        }
        poolByFolder.remove(folder);
        Optional<String> found = findPool(folder);
        if (found.isPresent()) {
            poolByFolder.put(folder, found.get());
            return found;
        }
        String name = poolName(folder);
        String xml = "<pool type='dir'><name>" + name + "</name><target><path>" + Xml.escape(folder)
                + "</path><permissions><mode>0711</mode></permissions></target></pool>";
        try {
            conn.storagePoolCreateXML(xml, 0).free();
        } catch (LibvirtException noFolder) {
            if (!build) {
                LOG.debug("no pool over {}: {}", folder, noFolder.getMessage());
                found = findPool(folder); // another client may have made it meanwhile
                found.ifPresent(n -> poolByFolder.put(folder, n));
                return found;
            }
            try {
                conn.storagePoolCreateXML(xml, POOL_CREATE_WITH_BUILD).free();
            } catch (LibvirtException e) {
                found = findPool(folder);
                if (found.isPresent()) {
                    poolByFolder.put(folder, found.get());
                    return found;
                }
                throw new StorageException("cannot make folder '" + folder + "' through libvirt's storage API: "
                        + e.getMessage(), e);
            }
        }
        LOG.debug("made transient storage pool {} over {}", name, folder);
        poolByFolder.put(folder, name);
        return Optional.of(name);
    }

    private String requirePool(String folder) {
        return pool(folder, false).orElseThrow(() -> new StorageException("folder '" + folder + "' does not exist on"
                + " the host " + host.uri()));
    }

    private boolean poolActive(String name) {
        StoragePool p = null;
        try {
            p = conn.storagePoolLookupByName(name);
            return p.isActive() == 1;
        } catch (LibvirtException e) {
            return false;
        } finally {
            free(p);
        }
    }

    /** @return an active pool whose target is {@code folder}; an inactive persistent one is started */
    private Optional<String> findPool(String folder) {
        String direct = NativeLibvirt.poolNameByTargetPath(conn, folder);
        if (direct != null) {
            if (poolActive(direct)) {
                return Optional.of(direct);
            }
            startPool(direct, folder);
            return Optional.of(direct);
        }
        if (conn instanceof NativeLibvirt.EsmConnect) {
            return Optional.empty(); // libvirt answered: no pool has this target
        }
        try {
            for (String name : conn.listStoragePools()) {
                if (folder.equals(target(name))) {
                    return Optional.of(name);
                }
            }
            for (String name : conn.listDefinedStoragePools()) {
                if (folder.equals(target(name))) {
                    startPool(name, folder);
                    return Optional.of(name);
                }
            }
            return Optional.empty();
        } catch (LibvirtException e) {
            throw LibvirtErrors.wrap("looking for a storage pool over " + folder, e);
        }
    }

    private void startPool(String name, String folder) {
        StoragePool p = null;
        try {
            p = conn.storagePoolLookupByName(name);
            p.create(0);
            LOG.info("started the inactive storage pool '{}' over {}", name, folder);
        } catch (LibvirtException e) {
            throw LibvirtErrors.wrap("starting the storage pool '" + name + "' over " + folder, e);
        } finally {
            free(p);
        }
    }

    private String target(String pool) {
        StoragePool p = null;
        try {
            p = conn.storagePoolLookupByName(pool);
            Element root = Xml.parse(p.getXMLDesc(0)).getDocumentElement();
            return Xml.child(root, "target").flatMap(t -> Xml.child(t, "path")).map(e -> e.getTextContent().trim())
                    .orElse("");
        } catch (LibvirtException e) {
            return ""; // gone meanwhile
        } finally {
            free(p);
        }
    }

    static String poolName(String folder) {
        String stem = fileName(folder).replaceAll("[^A-Za-z0-9_.-]", "_");
        if (stem.length() > 40) {
            stem = stem.substring(0, 40);
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(folder.getBytes(StandardCharsets.UTF_8));
            return "esm-" + stem + "-" + HexFormat.of().formatHex(h, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    private interface PoolCall<T> {
        T apply(StoragePool p) throws LibvirtException;
    }

    private static boolean isCode(LibvirtException e, String code) {
        return e.getError() != null && e.getError().getCode() != null && e.getError().getCode().name().equals(code);
    }

    /** Pool handles by pool name, kept for the life of this storage (freed by {@link #close()}). */
    private final Map<String, StoragePool> poolHandles = new ConcurrentHashMap<>();

    private <T> T inPool(String folder, String doing, PoolCall<T> call) {
        for (int attempt = 0; ; attempt++) {
            String name = requirePool(folder);
            try {
                StoragePool p = poolHandles.get(name);
                if (p == null) {
                    p = conn.storagePoolLookupByName(name);
                    StoragePool raced = poolHandles.putIfAbsent(name, p);
                    if (raced != null) {
                        free(p);
                        p = raced;
                    }
                }
                return call.apply(p);
            } catch (LibvirtException e) {
                boolean gone = isCode(e, "VIR_ERR_NO_STORAGE_POOL");
                if (gone && attempt == 0) {
                    // The transient pool vanished (libvirtd restarted): make it again.
                    poolByFolder.remove(folder);
                    free(poolHandles.remove(name));
                    continue;
                }
                throw new StorageException(doing + " failed (libvirt: " + e.getMessage() + ")", e);
            }
        }
    }

    /** @return the volume at {@code path}, refreshing its pool once when libvirt does not know it yet */
    private Optional<StorageVol> volume(String path) {
        try {
            return Optional.of(conn.storageVolLookupByPath(path)); // one call when a pool knows it already
        } catch (LibvirtException miss) {
            LOG.trace("{} not known to any pool yet: {}", path, miss.getMessage());
        }
        String folder = parent(path);
        Optional<String> poolName = pool(folder, false);
        if (poolName.isEmpty()) {
            return Optional.empty();
        }
        StoragePool p = null;
        try {
            try {
                p = conn.storagePoolLookupByName(poolName.get());
            } catch (LibvirtException gone) {
                poolByFolder.remove(folder); // the transient pool vanished (libvirtd restarted): make it again
                free(poolHandles.remove(poolName.get()));
                p = conn.storagePoolLookupByName(pool(folder, false).orElseThrow(() -> gone));
            }
            try {
                return Optional.of(p.storageVolLookupByName(fileName(path)));
            } catch (LibvirtException miss) {
                p.refresh(0);
                try {
                    return Optional.of(p.storageVolLookupByName(fileName(path)));
                } catch (LibvirtException gone) {
                    return Optional.empty();
                }
            }
        } catch (LibvirtException e) {
            throw new StorageException("looking up '" + path + "' failed (libvirt: " + e.getMessage() + ")", e);
        } finally {
            free(p);
        }
    }

    @FunctionalInterface
    private interface VolCall<T> {
        T apply(StorageVol v) throws LibvirtException, IOException;
    }

    private <T> T withVolume(String path, String doing, VolCall<T> call) {
        StorageVol v = volume(path).orElseThrow(() -> new StorageException("'" + path + "' does not exist"));
        try {
            return call.apply(v);
        } catch (LibvirtException | IOException e) {
            throw new StorageException(doing + " '" + path + "' failed: " + e.getMessage(), e);
        } finally {
            free(v);
        }
    }

    // ---------------------------------------------------------------------------------------------- Storage

    /** Without rescanning a folder: libvirt's pools know every file made through them. */
    @Override
    public boolean existsCheaply(String path) {
        try {
            free(conn.storageVolLookupByPath(path));
            return true;
        } catch (LibvirtException miss) {
            return poolByFolder.containsKey(path);
        }
    }

    @Override
    public boolean exists(String path) {
        Optional<StorageVol> v = volume(path);
        v.ifPresent(PoolStorage::free);
        return v.isPresent() || poolByFolder.containsKey(path) && pool(path, false).isPresent();
    }

    /** The file's length (a volume's capacity is its length for a file libvirt calls raw). */
    @Override
    public long size(String path) {
        return withVolume(path, "reading the size of", v -> longOf(Xml.parse(v.getXMLDesc(0)).getDocumentElement(),
                "capacity"));
    }

    @Override
    public ImageInfo info(String path, ImageFormat format) {
        return withVolume(path, "reading", v -> {
            Element root = Xml.parse(v.getXMLDesc(0)).getDocumentElement();
            long capacity = longOf(root, "capacity");
            long allocation = longOf(root, "allocation");
            Optional<DiskImage> backing = Optional.empty();
            if (format == ImageFormat.QCOW2) {
                ByteBuffer head = header(v);
                capacity = head.limit() >= 32 ? head.getLong(24) : capacity; // libvirt may still call it raw
                backing = backingOf(head, path);
            }
            return new ImageInfo(path, format, capacity, allocation, backing.map(DiskImage::path),
                    backing.map(DiskImage::format));
        });
    }

    private static long longOf(Element root, String child) {
        return Xml.child(root, child).map(e -> Long.parseLong(e.getTextContent().trim())).orElse(0L);
    }

    @Override
    public Optional<DiskImage> backing(String path, ImageFormat format) {
        if (format != ImageFormat.QCOW2) {
            return Optional.empty();
        }
        return withVolume(path, "reading the header of", v -> backingOf(header(v), path));
    }

    /** The crypt method in a qcow2 header, or a LUKS header at the start of a volume read as raw. */
    @Override
    public boolean encrypted(String path, ImageFormat format) {
        return withVolume(path, "reading the header of", v -> Qcow2.encrypted(ByteBuffer.wrap(download(v, 0, 36)),
                format));
    }

    @Override
    public Optional<BackingReference> backingReference(String path, ImageFormat format) {
        if (format != ImageFormat.QCOW2) {
            return Optional.empty();
        }
        return withVolume(path, "reading the header of", v -> {
            String[] b = Qcow2.backing(header(v), path);
            return b == null ? Optional.<BackingReference>empty()
                    : Optional.of(new BackingReference(b[0], Optional.ofNullable(b[1])));
        });
    }

    /** @return an image's header with its extensions and backing name: one download, two when the name lies far */
    private ByteBuffer header(StorageVol v) throws LibvirtException {
        ByteBuffer head = ByteBuffer.wrap(download(v, 0, 4096));
        if (head.limit() >= 20 && head.getLong(8) + head.getInt(16) > head.limit()) {
            head = ByteBuffer.wrap(download(v, 0, 1 << 21));
        }
        return head;
    }

    private Optional<DiskImage> backingOf(ByteBuffer head, String path) throws IOException {
        String[] b = Qcow2.backing(head, path);
        if (b == null) {
            return Optional.empty();
        }
        String backingPath = b[0].startsWith("/") ? b[0] : Names.join(parent(path), b[0]);
        return Optional.of(new DiskImage("?", backingPath,
                b[1] == null ? ImageFormat.QCOW2 : ImageFormat.fromId(b[1]).orElse(ImageFormat.QCOW2)));
    }

    /**
     * Creates the overlay as {@link LocalStorage} does: the qcow2 v3 header with the backing image and its format,
     * made in-process ({@link Qcow2#overlayImage}), written into a new volume created exclusively with mode 0600.
     * (libvirt's own way, a volume XML with a backing store, runs {@code qemu-img create} on the host: tens of
     * milliseconds per disk.) libvirt describes the volume as raw until its pool is next refreshed; ESM always
     * passes formats explicitly and never asks libvirt for a volume's format.
     */
    @Override
    public void createOverlay(String path, DiskImage backing) {
        Long known = frozenSizes.get(backing.path());
        long size = known != null ? known : withVolume(backing.path(), "reading the size of", v -> {
            if (backing.format() == ImageFormat.RAW) {
                return longOf(Xml.parse(v.getXMLDesc(0)).getDocumentElement(), "capacity");
            }
            ByteBuffer head = ByteBuffer.wrap(download(v, 0, 32));
            if (head.limit() < 32) {
                throw new IOException("not a qcow2 image");
            }
            return head.getLong(24);
        });
        frozenSizes.put(backing.path(), size);
        if (frozenSizes.size() > 10_000) {
            frozenSizes.clear();
        }
        byte[] image;
        try {
            image = Qcow2.overlayImage(backing.path(), backing.format(), size);
        } catch (IOException e) {
            throw new StorageException("cannot create overlay '" + path + "': " + e.getMessage(), e);
        }
        String xml = "<volume><name>" + Xml.escape(fileName(path)) + "</name><capacity>" + image.length
                + "</capacity><allocation>0</allocation><target><format type='raw'/><permissions><mode>0600</mode>"
                + "</permissions></target></volume>";
        StorageVol created = inPool(parent(path), "creating overlay '" + path + "'", p -> {
            try {
                return p.storageVolCreateXML(xml, 0);
            } catch (LibvirtException e) {
                if (exists(path)) {
                    throw new StorageException("'" + path + "' exists already; ESM never overwrites a file", e);
                }
                throw e;
            }
        });
        try {
            upload(created, image);
        } catch (LibvirtException e) {
            free(created);
            created = null;
            removeQuietly(path);
            throw new StorageException("cannot write overlay '" + path + "': " + e.getMessage(), e);
        } finally {
            free(created);
        }
        LOG.debug("created overlay {} on {}", path, backing.path());
    }

    /** The virtual sizes of images overlays were made on: frozen images, which never change. */
    private final Map<String, Long> frozenSizes = new ConcurrentHashMap<>();

    @Override
    public void makeDirectory(String path) {
        pool(path, true);
    }

    @Override
    public void place(String from, String to) {
        if (exists(to)) {
            throw new StorageException("'" + to + "' exists already; ESM never overwrites a file");
        }
        long size = withVolume(from, "reading", v -> {
            Element root = Xml.parse(v.getXMLDesc(0)).getDocumentElement();
            return Xml.child(root, "physical").map(e -> Long.parseLong(e.getTextContent().trim()))
                    .orElse(longOf(root, "capacity"));
        });
        String xml = "<volume><name>" + Xml.escape(fileName(to)) + "</name><capacity>" + size + "</capacity>"
                + "<allocation>0</allocation><target><format type='raw'/><permissions><mode>0600</mode>"
                + "</permissions></target></volume>";
        inPool(parent(to), "creating '" + to + "'", p -> {
            p.storageVolCreateXML(xml, 0).free();
            return null;
        });
        try {
            long written = copy(from, to, size);
            long readBack = withVolume(to, "verifying the copy", v -> checksum(v, size));
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

    /** @return the CRC32C of what was copied */
    private long copy(String from, String to, long size) {
        StorageVol src = volume(from).orElseThrow(() -> new StorageException("'" + from + "' does not exist"));
        StorageVol dst = volume(to).orElseThrow(() -> new StorageException("'" + to + "' vanished"));
        Stream in = null;
        Stream out = null;
        try {
            in = conn.streamNew(0);
            out = conn.streamNew(0);
            src.download(in, 0, size, 0);
            dst.upload(out, 0, size, 0);
            CRC32C crc = new CRC32C();
            byte[] buf = new byte[CHUNK];
            long total = 0;
            for (int n; (n = in.receive(buf)) > 0; ) {
                crc.update(buf, 0, n);
                sendFully(out, buf, n);
                total += n;
            }
            in.finish();
            out.finish();
            if (total != size) {
                throw new StorageException("copying '" + from + "' gave " + total + " of " + size + " bytes");
            }
            return crc.getValue();
        } catch (LibvirtException e) {
            abort(in);
            abort(out);
            throw new StorageException("copying '" + from + "' to '" + to + "' failed: " + e.getMessage(), e);
        } finally {
            freeStream(in);
            freeStream(out);
            free(src);
            free(dst);
        }
    }

    private long checksum(StorageVol v, long size) throws LibvirtException {
        Stream in = conn.streamNew(0);
        try {
            v.download(in, 0, size, 0);
            CRC32C crc = new CRC32C();
            byte[] buf = new byte[CHUNK];
            for (int n; (n = in.receive(buf)) > 0; ) {
                crc.update(buf, 0, n);
            }
            in.finish();
            return crc.getValue();
        } catch (LibvirtException e) {
            abort(in);
            throw e;
        } finally {
            freeStream(in);
        }
    }

    private static void sendFully(Stream out, byte[] buf, int n) throws LibvirtException {
        byte[] part = n == buf.length ? buf : java.util.Arrays.copyOf(buf, n);
        int sent = 0;
        while (sent < n) {
            byte[] rest = sent == 0 ? part : java.util.Arrays.copyOfRange(part, sent, n);
            int k = out.send(rest);
            if (k < 0) {
                throw new IllegalStateException("stream send returned " + k);
            }
            sent += k;
        }
    }

    private byte[] download(StorageVol v, long offset, int length) throws LibvirtException {
        Stream in = conn.streamNew(0);
        try {
            v.download(in, offset, length, 0);
            ByteBuffer out = ByteBuffer.allocate(length);
            byte[] buf = new byte[Math.min(length, CHUNK)];
            for (int n; (n = in.receive(buf)) > 0; ) {
                out.put(buf, 0, Math.min(n, out.remaining()));
            }
            in.finish();
            byte[] result = new byte[out.position()];
            out.flip().get(result);
            return result;
        } catch (LibvirtException e) {
            abort(in);
            throw e;
        } finally {
            freeStream(in);
        }
    }

    private void upload(StorageVol v, byte[] data) throws LibvirtException {
        Stream out = conn.streamNew(0);
        try {
            v.upload(out, 0, data.length, 0);
            sendFully(out, data, data.length);
            out.finish();
        } catch (LibvirtException e) {
            abort(out);
            throw e;
        } finally {
            freeStream(out);
        }
    }

    @Override
    public void commit(String top, String base, String disk, ProgressListener listener, Cancellation cancel) {
        String helper = "esm-merge-" + UUID.randomUUID().toString().substring(0, 8);
        String xml = "<domain type='qemu'><name>" + helper + "</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>"
                + "<os><type arch='" + arch() + "'>hvm</type></os><on_poweroff>destroy</on_poweroff><devices>"
                + "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='"
                + Xml.escape(top) + "'/><target dev='vda' bus='virtio'/></disk></devices></domain>";
        long t0 = System.nanoTime();
        destroyLeftoverHelpers(top);
        try {
            conn.domainCreateXML(xml, DOMAIN_START_PAUSED).free();
        } catch (LibvirtException e) {
            throw new StorageException("merging " + top + " into " + base + ": cannot start a paused helper domain"
                    + " on the host (libvirt: " + e.getMessage() + ")", e);
        }
        LOG.debug("helper domain {} for the merge of {} started in {} ms", helper, top,
                (System.nanoTime() - t0) / 1_000_000);
        try {
            host.blockCommit(helper, "vda", base, top, true,
                    p -> listener.onProgress(new Progress(disk, p.done(), p.total())), cancel);
        } finally {
            try {
                org.libvirt.Domain d = conn.domainLookupByName(helper);
                try {
                    d.destroy();
                } finally {
                    d.free();
                }
            } catch (LibvirtException e) {
                LOG.warn("cannot destroy the merge helper domain {}: {}", helper, e.getMessage());
            }
        }
        LOG.debug("offline merge of {} into {} through helper {} took {} ms", top, base, helper,
                (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * Destroys merge helpers a client that stopped half-way left running on {@code top} (QEMU would refuse to open
     * the image twice). Its job may have written part of the data into the base already; the merge is run again
     * from the start, which is safe: the base is being merged into and belongs to no surviving snapshot as is.
     */
    private void destroyLeftoverHelpers(String top) {
        try {
            for (int id : conn.listDomains()) {
                org.libvirt.Domain d = null;
                try {
                    d = conn.domainLookupByID(id);
                    if (d.getName().startsWith("esm-merge-")
                            && dev.esm.core.xml.DomainXml.chain(d.getXMLDesc(0), "vda").contains(top)) {
                        LOG.warn("destroying the merge helper {} a stopped client left on {}", d.getName(), top);
                        d.destroy();
                    }
                } catch (LibvirtException gone) {
                    LOG.debug("domain {} vanished while looking for leftover helpers: {}", id, gone.getMessage());
                } finally {
                    if (d != null) {
                        try {
                            d.free();
                        } catch (LibvirtException ignored) {
                            // freed anyway
                        }
                    }
                }
            }
        } catch (LibvirtException e) {
            throw LibvirtErrors.wrap("looking for leftover merge helpers", e);
        }
    }

    private String arch() {
        if (arch == null) {
            try {
                Element root = Xml.parse(conn.getCapabilities()).getDocumentElement();
                arch = Xml.child(root, "host").flatMap(h -> Xml.child(h, "cpu")).flatMap(c -> Xml.child(c, "arch"))
                        .map(e -> e.getTextContent().trim()).orElse("x86_64");
            } catch (LibvirtException e) {
                arch = "x86_64";
            }
        }
        return arch;
    }

    @Override
    public void rebase(String image, DiskImage newBacking) {
        withVolume(image, "pointing at " + newBacking.path() + ":", v -> {
            byte[] head = download(v, 0, 1 << 16);
            byte[] rewritten = Qcow2.rebasedHeader(ByteBuffer.wrap(head), newBacking.path(), newBacking.format());
            upload(v, rewritten);
            return null;
        });
        LOG.debug("pointed {} at {}", image, newBacking.path());
    }

    // ------------------------------------------------------------------------------- state: journals and locks

    @Override
    public String stateDirectory() {
        if (!poolByFolder.containsKey(stateDir)) {
            Optional<String> existing = findPool(stateDir);
            if (existing.isEmpty()) {
                String xml = "<pool type='dir'><name>" + STATE_POOL + "</name><target><path>" + Xml.escape(stateDir)
                        + "</path><permissions><mode>0700</mode></permissions></target></pool>";
                try {
                    conn.storagePoolCreateXML(xml, POOL_CREATE_WITH_BUILD).free();
                } catch (LibvirtException e) {
                    if (findPool(stateDir).isEmpty()) {
                        throw new StorageException("cannot make ESM's state folder " + stateDir + " on the host"
                                + " (libvirt: " + e.getMessage() + "); set -Desm.hostStateDir to a folder libvirt"
                                + " may create", e);
                    }
                }
            }
            pool(stateDir, false);
        }
        return stateDir;
    }

    /**
     * A small text file (a journal) is two volumes, its slots {@code name~0} and {@code name~1}, written in turn
     * in place (an upload, no create or delete): each starts with a header line of {@value #SLOT_HEADER} bytes,
     * {@code esm1 <seq> <length> <crc32c>}, followed by the content. A reader takes the valid slot with the
     * higher sequence number, so a write torn by a crash leaves the previous content readable; a valid slot of
     * length 0 means removed.
     */
    private static final int SLOT_HEADER = 64;
    /** Slots are sparse volumes of this size; only what is written takes space. */
    private static final long SLOT_CAPACITY = 16L << 20;

    /** What a slot holds: its sequence number and content (null when torn or never written). */
    private record Slot(int index, long seq, String content) {
    }

    /** The slot this client wrote last for each small file, and its sequence number. */
    private final Map<String, Slot> written = new ConcurrentHashMap<>();

    private static String slotPath(String path, int index) {
        return path + "~" + index;
    }

    private Slot readSlot(String path, int index) {
        Optional<StorageVol> vol = volume(slotPath(path, index));
        if (vol.isEmpty()) {
            return new Slot(index, 0, null);
        }
        try {
            byte[] head = download(vol.get(), 0, 65536);
            if (head.length < SLOT_HEADER) {
                return new Slot(index, 0, null);
            }
            String[] f = new String(head, 0, SLOT_HEADER, StandardCharsets.US_ASCII).trim().split(" ");
            if (f.length != 4 || !f[0].equals("esm1")) {
                return new Slot(index, 0, null);
            }
            long seq = Long.parseLong(f[1]);
            int length = Integer.parseInt(f[2]);
            byte[] body = length + SLOT_HEADER <= head.length
                    ? java.util.Arrays.copyOfRange(head, SLOT_HEADER, SLOT_HEADER + length)
                    : download(vol.get(), SLOT_HEADER, length);
            CRC32C crc = new CRC32C();
            crc.update(body);
            if (body.length != length || !Long.toHexString(crc.getValue()).equals(f[3])) {
                LOG.warn("{} slot {} is torn; using the other one", path, index);
                return new Slot(index, 0, null);
            }
            return new Slot(index, seq, new String(body, StandardCharsets.UTF_8));
        } catch (LibvirtException | RuntimeException e) {
            LOG.debug("reading {} slot {} failed: {}", path, index, e.toString());
            return new Slot(index, 0, null);
        } finally {
            free(vol.get());
        }
    }

    /** @return the newest valid slot (seq 0 when there is none) */
    private Slot newest(String path) {
        Slot a = readSlot(path, 0);
        Slot b = readSlot(path, 1);
        return b.seq > a.seq ? b : a;
    }

    @Override
    public void writeAtomically(String path, String content) {
        writeSlot(path, content.getBytes(StandardCharsets.UTF_8));
    }

    private void writeSlot(String path, byte[] body) {
        if (body.length + SLOT_HEADER > SLOT_CAPACITY) {
            throw new StorageException("cannot write " + path + ": " + body.length + " bytes is more than a journal"
                    + " slot holds");
        }
        Slot last = written.computeIfAbsent(path, this::newest);
        int index = last.seq == 0 ? 0 : 1 - last.index;
        long seq = last.seq + 1;
        CRC32C crc = new CRC32C();
        crc.update(body);
        String header = String.format("esm1 %d %d %s", seq, body.length, Long.toHexString(crc.getValue()));
        byte[] data = new byte[SLOT_HEADER + body.length];
        byte[] h = String.format("%-" + (SLOT_HEADER - 1) + "s\n", header).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(h, 0, data, 0, SLOT_HEADER);
        System.arraycopy(body, 0, data, SLOT_HEADER, body.length);
        String slot = slotPath(path, index);
        StorageVol v = volume(slot).orElseGet(() -> {
            String xml = "<volume><name>" + Xml.escape(fileName(slot)) + "</name><capacity>" + SLOT_CAPACITY
                    + "</capacity><allocation>0</allocation><target><format type='raw'/><permissions><mode>0600"
                    + "</mode></permissions></target></volume>";
            return inPool(parent(slot), "creating " + slot, p -> p.storageVolCreateXML(xml, 0));
        });
        try {
            upload(v, data);
        } catch (LibvirtException e) {
            written.remove(path);
            throw new StorageException("cannot write " + path + " (libvirt: " + e.getMessage() + ")", e);
        } finally {
            free(v);
        }
        written.put(path, new Slot(index, seq, null));
    }

    @Override
    public Optional<String> read(String path) {
        Slot s = newest(path);
        return s.seq == 0 || s.content == null || s.content.isEmpty() ? Optional.empty() : Optional.of(s.content);
    }

    /** @return whether {@code path} is a small file kept in slots (rather than a volume of its own) */
    private boolean slotted(String path) {
        return written.containsKey(path) || parent(path).equals(stateDir) && (path.endsWith(".journal")
                || existsCheaply(slotPath(path, 0)));
    }

    @Override
    public List<String> list(String directory) {
        Optional<String> name = pool(directory, false);
        if (name.isEmpty()) {
            return List.of();
        }
        StoragePool p = null;
        try {
            p = conn.storagePoolLookupByName(name.get());
            p.refresh(0);
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
            free(p);
        }
    }

    /**
     * A lease on the host, shared by every client of the host: the volume {@code <path>.lease} in the state pool,
     * created exclusively (libvirt refuses a second volume of the same name, so of racing clients exactly one
     * wins). The holder rewrites a heartbeat counter in it every third of the lease time ({@code -Desm.leaseTtl},
     * default 30 s). A waiting client that sees the content unchanged for a whole lease time on its own clock
     * (so clocks need not agree) takes the lease over: holding the exclusive {@code <path>.takeover} volume, it
     * checks the lease is still the stale one, removes it and creates its own.
     */
    @Override
    public Lease lock(String path, Duration wait) {
        String lease = path + LEASE_SUFFIX;
        long deadline = System.nanoTime() + wait.toNanos();
        Observed seen = null;
        while (true) {
            if (tryCreate(lease)) {
                return new Heartbeat(lease);
            }
            Optional<String> content = readLease(lease);
            long now = System.nanoTime();
            if (content.isPresent()) {
                if (seen == null || !seen.content.equals(content.get())) {
                    seen = new Observed(content.get(), now);
                } else if (now - seen.since > leaseTtl.toNanos() && takeOver(lease, seen.content)) {
                    return new Heartbeat(lease);
                }
            }
            if (now > deadline) {
                throw new DomainBusyException("another client holds the lease " + lease + " on " + host.uri()
                        + " (" + content.orElse("?").strip() + "); retry when its operation has finished");
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

    private String leaseText(long beat) {
        String who = clientId + " " + ProcessHandle.current().pid() + "@" + hostName();
        return String.format("%-100.100s %020d%n", who, beat);
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "?";
        }
    }

    /** @return whether this client made the lease volume (and wrote its first beat into it) */
    private boolean tryCreate(String lease) {
        byte[] data = leaseText(0).getBytes(StandardCharsets.UTF_8);
        String xml = "<volume><name>" + Xml.escape(fileName(lease)) + "</name><capacity>" + data.length
                + "</capacity><allocation>0</allocation><target><format type='raw'/><permissions><mode>0600</mode>"
                + "</permissions></target></volume>";
        StorageVol v = inPool(parent(lease), "creating " + lease, p -> {
            try {
                return p.storageVolCreateXML(xml, 0);
            } catch (LibvirtException taken) {
                if (isCode(taken, "VIR_ERR_NO_STORAGE_POOL")) {
                    throw taken;
                }
                return null; // the name is in use: someone holds it
            }
        });
        if (v == null) {
            return false;
        }
        try {
            upload(v, data);
            return true;
        } catch (LibvirtException e) {
            removeQuietly(lease);
            throw new StorageException("writing the lease " + lease + " failed: " + e.getMessage(), e);
        } finally {
            free(v);
        }
    }

    private Optional<String> readLease(String lease) {
        Optional<StorageVol> vol = volume(lease);
        if (vol.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new String(download(vol.get(), 0, LEASE_LENGTH), StandardCharsets.UTF_8));
        } catch (LibvirtException e) {
            return Optional.empty();
        } finally {
            free(vol.get());
        }
    }

    private boolean takeOver(String lease, String stale) {
        String guard = path(lease) + ".takeover";
        if (!tryCreate(guard)) {
            // Another client is taking over (or died doing so: its guard goes stale like a lease).
            Optional<String> g = readLease(guard);
            if (g.isPresent()) {
                Observed o = staleGuards.merge(guard, new Observed(g.get(), System.nanoTime()),
                        (a, b) -> a.content.equals(b.content) ? a : b);
                if (System.nanoTime() - o.since > leaseTtl.toNanos()) {
                    LOG.warn("removing the stale take-over guard {}", guard);
                    removeQuietly(guard);
                    staleGuards.remove(guard);
                }
            }
            return false;
        }
        try {
            Optional<String> now = readLease(lease);
            if (now.isPresent() && !now.get().equals(stale)) {
                return false; // its holder is alive after all
            }
            LOG.warn("taking over the lease {} of a client that stopped beating: {}", lease, stale.strip());
            removeQuietly(lease);
            return tryCreate(lease);
        } finally {
            removeQuietly(guard);
        }
    }

    private final Map<String, Observed> staleGuards = new ConcurrentHashMap<>();

    private static String path(String lease) {
        return lease.substring(0, lease.length() - LEASE_SUFFIX.length());
    }

    /** A held lease with its heartbeat thread. */
    private final class Heartbeat implements Lease {
        private final String lease;
        private final Thread beater;
        private volatile boolean released;
        /** Set when the heartbeat found the lease taken over: it is then another client's to remove. */
        private volatile boolean lost;

        Heartbeat(String lease) {
            this.lease = lease;
            this.beater = new Thread(this::beat, "esm-lease-" + fileName(lease));
            beater.setDaemon(true);
            beater.start();
        }

        private void beat() {
            long n = 0;
            while (!released) {
                try {
                    Thread.sleep(Math.max(100, leaseTtl.toMillis() / 3));
                } catch (InterruptedException e) {
                    return;
                }
                if (released) {
                    return;
                }
                Optional<String> now = readLease(lease);
                if (now.isEmpty() || !now.get().startsWith(clientId)) {
                    lost = true;
                    LOG.error("the lease {} was taken over by another client ({}); this client's operation is no"
                            + " longer protected", lease, now.orElse("gone").strip());
                    return;
                }
                byte[] data = leaseText(++n).getBytes(StandardCharsets.UTF_8);
                Optional<StorageVol> v = volume(lease);
                if (v.isPresent()) {
                    try {
                        upload(v.get(), data);
                    } catch (LibvirtException e) {
                        LOG.warn("renewing the lease {} failed: {}", lease, e.getMessage());
                    } finally {
                        free(v.get());
                    }
                }
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
            if (!lost) {
                removeQuietly(lease);
            }
        }
    }

    @Override
    public void remove(String path) {
        if (slotted(path)) {
            if (newest(path).seq > 0) {
                writeSlot(path, new byte[0]); // removed: an empty newest slot
            }
            return;
        }
        Optional<StorageVol> v = volume(path);
        if (v.isEmpty()) {
            return;
        }
        try {
            if (poolByFolder.containsKey(path)) {
                dropPool(path); // a folder ESM made a pool over
            }
            v.get().delete(0); // a file, or an empty folder (libvirt removes a folder volume with rmdir)
            LOG.debug("removed {}", path);
        } catch (LibvirtException e) {
            throw new StorageException("cannot remove '" + path + "' (libvirt: " + e.getMessage() + ")", e);
        } finally {
            free(v.get());
        }
    }

    /** Stops the transient pool ESM made over a folder about to be removed (a user's pool is left alone). */
    private void dropPool(String folder) {
        String name = poolByFolder.remove(folder);
        if (name == null) {
            name = findPool(folder).orElse(null);
        }
        if (name == null || !name.startsWith("esm-")) {
            return;
        }
        StoragePool p = null;
        try {
            p = conn.storagePoolLookupByName(name);
            if (p.isPersistent() == 0) {
                p.destroy();
            }
        } catch (LibvirtException e) {
            LOG.debug("stopping pool {} failed: {}", name, e.getMessage());
        } finally {
            free(p);
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
        poolByFolder.clear();
        poolHandles.values().forEach(PoolStorage::free);
        poolHandles.clear();
    }

    // ---------------------------------------------------------------------------------------------- freeing

    private static void free(StoragePool p) {
        if (p != null) {
            try {
                p.free();
            } catch (LibvirtException e) {
                LOG.debug("freeing a pool object failed: {}", e.toString());
            }
        }
    }

    private static void free(StorageVol v) {
        if (v != null) {
            try {
                v.free();
            } catch (LibvirtException e) {
                LOG.debug("freeing a volume object failed: {}", e.toString());
            }
        }
    }

    private static void abort(Stream s) {
        if (s != null) {
            try {
                s.abort();
            } catch (LibvirtException e) {
                LOG.debug("aborting a stream failed: {}", e.toString());
            }
        }
    }

    private static void freeStream(Stream s) {
        if (s != null) {
            try {
                s.free();
            } catch (LibvirtException e) {
                LOG.debug("freeing a stream failed: {}", e.toString());
            }
        }
    }
}
