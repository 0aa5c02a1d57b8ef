package dev.esm.libvirt;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import dev.esm.api.ProgressListener;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
 *   <li>Offline merges hot-plug the image chain into a transient, paused helper domain and run a libvirt block
 *       commit in it (libvirt has no offline commit); helpers are kept for the next merge and die with this
 *       client's connection ({@link MergeHelpers}).</li>
 *   <li>Rebase rewrites the header's backing reference in place (download, rewrite, upload of the first
 *       cluster), as {@code qemu-img rebase -u} would.</li>
 *   <li>Journals and locks live on the host: a domain's journal in its own persistent definition (one
 *       {@code virDomainSetMetadata} call per write, {@link DomainJournals}); journals too large for that, and
 *       those of the previous release, in the state pool ({@code /var/lib/libvirt/esm} unless
 *       {@code SnapshotManager.Builder.hostStateDirectory} says otherwise) as two checksummed slots in one volume (a torn write leaves the
 *       previous version readable); locks as leases with a heartbeat, volumes of the state pool
 *       ({@link HostState}).</li>
 * </ul>
 *
 * <p>Costs: every call is a round trip to libvirtd; an upload or download is two. libvirtd refreshes the whole
 * pool after every upload (in the background, but the pool's next call waits for it), at about 60 µs per
 * volume here: so overlays are uploaded (one refresh of the images folder per disk) rather than made by
 * {@code qemu-img} on the host (about 35 ms per disk); journals are not uploaded at all (above); the overlays
 * this client made keep their handles, so removing one later takes no lookup.
 *
 * <p>Thread-safety: thread-safe. Every libvirt object is freed before the call that looked it up returns, except
 * pool handles (kept until {@link #close}) and those {@link HostState} keeps.
 */
public final class PoolStorage implements Storage, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PoolStorage.class);
    private static final String STATE_POOL = "esm-state";
    private static final int CHUNK = Volumes.CHUNK;

    private final Connect conn;
    private final dev.esm.core.port.Host host;
    private final Map<String, String> poolByFolder = new ConcurrentHashMap<>();
    private final String stateDir;
    private final MergeHelpers helpers;
    private volatile String arch;

    /**
     * @param conn the connection (owned by {@code host})
     * @param host the host, for the helper domains of offline merges
     * @param running the names of the host's running domains (for merge helpers left by stopped clients)
     * @param stateDir the host's folder for journals and leases (its pool is {@link #statePool()})
     */
    PoolStorage(Connect conn, dev.esm.core.port.Host host, java.util.function.Supplier<java.util.List<String>> running,
                String stateDir) {
        this.conn = conn;
        this.host = host;
        this.stateDir = stateDir;
        this.helpers = new MergeHelpers(conn, host, running, this::arch);
    }

    /** @return the pool over the state folder, for the state store ({@link PoolState}) */
    StatePool statePool() {
        return new StatePool() {
            @Override
            public <T> T call(String doing, StatePool.PoolCall<T> call) {
                return inPool(stateDirectory(), doing, call::apply);
            }

            @Override
            public String name() {
                return requirePool(stateDirectory());
            }

            @Override
            public String folder() {
                return stateDirectory();
            }
        };
    }

    /** @return the connection (for tests) */
    Connect connection() {
        return conn;
    }

    // ---------------------------------------------------------------------------------------------------- pools

    static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }

    static String fileName(String path) {
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
                conn.storagePoolCreateXML(xml, LibvirtFlags.POOL_CREATE_WITH_BUILD).free();
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
    interface PoolCall<T> {
        T apply(StoragePool p) throws LibvirtException;
    }

    private static boolean isCode(LibvirtException e, String code) {
        return Volumes.isCode(e, code);
    }

    /** Pool handles by pool name, kept for the life of this storage (freed by {@link #close()}). */
    private final Map<String, StoragePool> poolHandles = new ConcurrentHashMap<>();

    /** @return the kept handle of the pool named {@code name}, looked up once */
    private StoragePool poolHandle(String name) throws LibvirtException {
        StoragePool p = poolHandles.get(name);
        if (p == null) {
            p = conn.storagePoolLookupByName(name);
            StoragePool raced = poolHandles.putIfAbsent(name, p);
            if (raced != null) {
                free(p);
                p = raced;
            }
        }
        return p;
    }

    <T> T inPool(String folder, String doing, PoolCall<T> call) {
        for (int attempt = 0; ; attempt++) {
            String name = requirePool(folder);
            try {
                return call.apply(poolHandle(name));
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
        Optional<StorageVol> known = inKnownPool(path);
        if (known != null && known.isPresent()) {
            return known;
        }
        if (known == null) {
            try {
                return Optional.of(conn.storageVolLookupByPath(path)); // one call when a pool knows it already
            } catch (LibvirtException miss) {
                LOG.trace("{} not known to any pool yet: {}", path, miss.getMessage());
            }
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
                refresh(p);
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

    /**
     * Rescans a pool's folder. libvirtd refuses a refresh while a volume of the pool is being created ("has
     * asynchronous jobs running"), which another client may be doing at any time: wait for it, briefly.
     */
    private static void refresh(StoragePool p) throws LibvirtException {
        for (int attempt = 0; ; attempt++) {
            try {
                p.refresh(0);
                return;
            } catch (LibvirtException e) {
                if (attempt >= 50 || !String.valueOf(e.getMessage()).contains("asynchronous jobs")) {
                    throw e;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
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
        Optional<StorageVol> known = inKnownPool(path);
        if (known != null) {
            known.ifPresent(PoolStorage::free);
            return known.isPresent() || poolByFolder.containsKey(path);
        }
        try {
            free(conn.storageVolLookupByPath(path));
            return true;
        } catch (LibvirtException miss) {
            return poolByFolder.containsKey(path);
        }
    }

    /**
     * Looks {@code path} up in the pool already known for its folder: one call that locks that pool only.
     * ({@code virStorageVolLookupByPath} locks every pool in turn, so it waits for any pool's refresh, and libvirtd
     * refreshes a whole pool after every upload: the state pool after each journal write.)
     *
     * @return the volume, empty when that pool has no such volume (it may still be a file made behind libvirt's
     *         back), or null when no pool is known for the folder yet
     */
    private Optional<StorageVol> inKnownPool(String path) {
        String folder = parent(path);
        String name = poolByFolder.get(folder);
        if (name == null) {
            return null;
        }
        try {
            return Optional.of(poolHandle(name).storageVolLookupByName(fileName(path)));
        } catch (LibvirtException e) {
            if (isCode(e, "VIR_ERR_NO_STORAGE_VOL")) {
                return Optional.empty();
            }
            LOG.trace("looking up {} in pool {} failed: {}", path, name, e.getMessage());
            return null; // the pool vanished (libvirtd restarted): the general path makes it again
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

    /** @return the format libvirt gives a volume ({@code <target><format type=...>}), or "" */
    private static String volumeFormat(Element root) {
        org.w3c.dom.NodeList targets = root.getElementsByTagName("target");
        for (int i = 0; i < targets.getLength(); i++) {
            if (targets.item(i).getParentNode() == root) {
                org.w3c.dom.NodeList formats = ((Element) targets.item(i)).getElementsByTagName("format");
                return formats.getLength() == 0 ? "" : ((Element) formats.item(0)).getAttribute("type");
            }
        }
        return "";
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
            // libvirt reads the volume again for its XML: for a volume it knows as qcow2 (every one after a refresh
            // of its pool, which libvirtd makes after each upload) the capacity is the header's virtual size as it
            // is now. One call; a download of the header costs several and a stream on the host.
            Element root = Xml.parse(v.getXMLDesc(0)).getDocumentElement();
            if (backing.format() == ImageFormat.RAW || "qcow2".equals(volumeFormat(root))) {
                return longOf(root, "capacity");
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
        String folder = parent(path);
        StorageVol created = largeFolder(folder) ? createdByLibvirt(path, backing, size) : uploaded(path, backing, size);
        keep(path, created);
        LOG.debug("created overlay {} on {}", path, backing.path());
    }

    /** The overlay as {@link Qcow2#overlayImage} makes it, uploaded into a new raw volume (exclusive, mode 0600). */
    private StorageVol uploaded(String path, DiskImage backing, long size) {
        byte[] image;
        try {
            image = Qcow2.overlayImage(backing.path(), backing.format(), size);
        } catch (IOException e) {
            throw new StorageException("cannot create overlay '" + path + "': " + e.getMessage(), e);
        }
        String xml = "<volume><name>" + Xml.escape(fileName(path)) + "</name><capacity>" + image.length
                + "</capacity><allocation>0</allocation><target><format type='raw'/><permissions><mode>0600</mode>"
                + "</permissions></target></volume>";
        StorageVol created = createExclusively(path, xml);
        try {
            upload(created, image);
        } catch (LibvirtException e) {
            free(created);
            removeQuietly(path);
            throw new StorageException("cannot write overlay '" + path + "': " + e.getMessage(), e);
        }
        counted(parent(path), 1);
        return created;
    }

    /**
     * The overlay made by libvirt from a volume XML with its backing store and format ({@code qemu-img create} on
     * the host: exclusive, qcow2 v3, the backing format recorded, mode 0600). No upload, so no rescan of the folder.
     */
    private StorageVol createdByLibvirt(String path, DiskImage backing, long size) {
        String xml = "<volume><name>" + Xml.escape(fileName(path)) + "</name><capacity>" + size + "</capacity>"
                + "<target><format type='qcow2'/><compat>1.1</compat><permissions><mode>0600</mode></permissions>"
                + "</target><backingStore><path>" + Xml.escape(backing.path()) + "</path><format type='"
                + backing.format().id() + "'/></backingStore></volume>";
        StorageVol created = createExclusively(path, xml);
        counted(parent(path), 1);
        return created;
    }

    private StorageVol createExclusively(String path, String xml) {
        return inPool(parent(path), "creating overlay '" + path + "'", p -> {
            try {
                return p.storageVolCreateXML(xml, 0);
            } catch (LibvirtException e) {
                if (exists(path)) {
                    throw new StorageException("'" + path + "' exists already; ESM never overwrites a file", e);
                }
                throw e;
            }
        });
    }

    /**
     * From how many files in a folder an overlay is made by libvirt instead of uploaded. libvirtd rescans the whole
     * folder after every upload, reading every image's header (about 60 microseconds each here), and its next call
     * on the folder waits for that: measured 50-110 ms after an upload into a folder of 2,000 images. A remote revert
     * (1 disk, qemu+ssh, loaded 2-core machine) took 79 ms uploaded and 113 ms made by libvirt in a folder of a few
     * files, 203 ms and 130 ms with 2,000 more: the two cross at about 500.
     */
    static final int UPLOAD_LIMIT = 500;
    /** What new storages take as their limit: {@link #UPLOAD_LIMIT}, or what a test set. */
    static volatile int defaultUploadLimit = UPLOAD_LIMIT;
    private volatile int uploadLimit = defaultUploadLimit;
    /** How long a folder's volume count is trusted (it changes behind ESM's back only by hand). */
    private static final long COUNT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    /** Volume counts by folder: {count, when read}. */
    private final Map<String, long[]> volumeCounts = new ConcurrentHashMap<>();

    /** @return whether the folder holds so many files that an upload's rescan costs more than libvirt's creation */
    private boolean largeFolder(String folder) {
        long[] known = volumeCounts.get(folder);
        if (known == null || System.nanoTime() - known[1] > COUNT_NANOS) {
            int n = inPool(folder, "counting the files of '" + folder + "'", StoragePool::numOfVolumes);
            known = new long[] {n, System.nanoTime()};
            volumeCounts.put(folder, known);
            if (volumeCounts.size() > 10_000) {
                volumeCounts.clear();
            }
        }
        return known[0] >= uploadLimit;
    }

    /** Sets {@link #UPLOAD_LIMIT} (tests: 0 makes every overlay libvirt's, a large one every overlay uploaded). */
    void uploadLimit(int files) {
        uploadLimit = files;
    }

    /** Keeps a folder's count current with this client's own changes. */
    private void counted(String folder, int change) {
        volumeCounts.computeIfPresent(folder, (f, c) -> new long[] {Math.max(0, c[0] + change), c[1]});
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
        String permissions = volume(to).map(v -> {
            try {
                return permissionsOf(v);
            } catch (LibvirtException e) {
                throw new StorageException("reading the owner and mode of '" + to + "' failed: " + e.getMessage(), e);
            } finally {
                free(v);
            }
        }).orElse("<mode>0600</mode>");
        remove(to);
        copyInto(from, to, permissions);
    }

    /** @return the volume's {@code <mode>}, {@code <owner>} and {@code <group>}, as libvirt describes them */
    private static String permissionsOf(StorageVol v) throws LibvirtException {
        Element root = Xml.parse(v.getXMLDesc(0)).getDocumentElement();
        Optional<Element> perms = Xml.child(root, "target").flatMap(t -> Xml.child(t, "permissions"));
        StringBuilder out = new StringBuilder();
        for (String item : List.of("mode", "owner", "group")) {
            perms.flatMap(p -> Xml.child(p, item)).map(e -> e.getTextContent().trim()).filter(t -> !t.isEmpty())
                    .ifPresent(t -> out.append('<').append(item).append('>').append(Xml.escape(t)).append("</")
                            .append(item).append('>'));
        }
        return out.length() == 0 ? "<mode>0600</mode>" : out.toString();
    }

    /** Makes the volume {@code to} (which must not exist) with these permissions and {@code from}'s bytes. */
    private void copyInto(String from, String to, String permissions) {
        long size = withVolume(from, "reading", v -> {
            Element root = Xml.parse(v.getXMLDesc(0)).getDocumentElement();
            return Xml.child(root, "physical").map(e -> Long.parseLong(e.getTextContent().trim()))
                    .orElse(longOf(root, "capacity"));
        });
        String xml = "<volume><name>" + Xml.escape(fileName(to)) + "</name><capacity>" + size + "</capacity>"
                + "<allocation>0</allocation><target><format type='raw'/><permissions>" + permissions
                + "</permissions></target></volume>";
        dev.esm.core.port.Fencing.check(); // read, then made: not by a client that lost its lease meanwhile
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
            dev.esm.core.port.Fencing.check();
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
        Volumes.sendFully(out, buf, n);
    }

    private byte[] download(StorageVol v, long offset, int length) throws LibvirtException {
        return Volumes.download(conn, v, offset, length);
    }

    private void upload(StorageVol v, byte[] data) throws LibvirtException {
        Volumes.upload(conn, v, 0, data);
    }

    private static void abort(Stream s) {
        Volumes.abort(s);
    }

    private static void freeStream(Stream s) {
        Volumes.free(s);
    }

    /** Merges in a paused helper domain on the host, kept for the next merge: see {@link MergeHelpers}. */
    @Override
    public void commit(String top, String base, String disk, ProgressListener listener, Cancellation cancel) {
        helpers.commit(top, base, disk, listener, cancel);
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

    /** @return the host's state folder, with a pool over it (both made if missing) */
    String stateDirectory() {
        if (!poolByFolder.containsKey(stateDir)) {
            Optional<String> existing = findPool(stateDir);
            if (existing.isEmpty()) {
                String xml = "<pool type='dir'><name>" + STATE_POOL + "</name><target><path>" + Xml.escape(stateDir)
                        + "</path><permissions><mode>0700</mode></permissions></target></pool>";
                try {
                    conn.storagePoolCreateXML(xml, LibvirtFlags.POOL_CREATE_WITH_BUILD).free();
                } catch (LibvirtException e) {
                    if (findPool(stateDir).isEmpty()) {
                        throw new StorageException("cannot make ESM's state folder " + stateDir + " on the host"
                                + " (libvirt: " + e.getMessage() + "); choose a folder libvirt may create with"
                                + " SnapshotManager.builder(uri).hostStateDirectory(..) (-Desm.hostStateDir)", e);
                    }
                }
            }
            pool(stateDir, false);
        }
        return stateDir;
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
            refresh(p);
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

    @Override
    public void remove(String path) {
        StorageVol made = made(path);
        Optional<StorageVol> v = made != null ? Optional.of(made) : volume(path);
        if (v.isEmpty()) {
            return;
        }
        try {
            if (poolByFolder.containsKey(path)) {
                dropPool(path); // a folder ESM made a pool over
            }
            dev.esm.core.port.Fencing.check(); // looked up, then deleted: not by a client that lost its lease
            v.get().delete(0); // a file, or an empty folder (libvirt removes a folder volume with rmdir)
            counted(parent(path), -1);
            LOG.debug("removed {}", path);
        } catch (LibvirtException e) {
            if (made == null || !isCode(e, "VIR_ERR_NO_STORAGE_VOL")) {
                throw new StorageException("cannot remove '" + path + "' (libvirt: " + e.getMessage() + ")", e);
            }
            LOG.debug("{} was removed already", path); // by hand, or by another client (a kept handle)
        } finally {
            free(v.get());
        }
    }

    /**
     * Handles of the overlays this client made, by path, the most recent {@value #KEPT} (a handle is a few bytes
     * on each side): an overlay is usually removed by a later operation of the same client (revert, refresh), which
     * then needs no lookup. libvirt resolves a handle by its pool and name on each call, so a kept handle stays
     * right for a volume removed and made again under the same name.
     */
    private final Map<String, StorageVol> madeVolumes = new LinkedHashMap<>();
    private static final int KEPT = 256;

    private void keep(String path, StorageVol v) {
        StorageVol old;
        synchronized (madeVolumes) {
            old = madeVolumes.put(path, v);
            if (madeVolumes.size() > KEPT) {
                var eldest = madeVolumes.entrySet().iterator();
                free(eldest.next().getValue());
                eldest.remove();
            }
        }
        free(old);
    }

    /** @return the kept handle of an overlay this client made (now the caller's to free), or null */
    private StorageVol made(String path) {
        synchronized (madeVolumes) {
            return madeVolumes.remove(path);
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
        helpers.close();
        synchronized (madeVolumes) {
            madeVolumes.values().forEach(PoolStorage::free);
            madeVolumes.clear();
        }
        poolByFolder.clear();
        poolHandles.values().forEach(PoolStorage::free);
        poolHandles.clear();
    }

    private static void free(StoragePool p) {
        Volumes.free(p);
    }

    private static void free(StorageVol v) {
        Volumes.free(v);
    }
}
