package dev.esm.libvirt.internal.pool;

import dev.esm.api.errors.StorageException;
import dev.esm.core.xml.Xml;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;
import java.io.IOException;
import dev.esm.libvirt.internal.connect.LibvirtErrors;
import dev.esm.libvirt.internal.connect.LibvirtFlags;
import dev.esm.libvirt.internal.connect.NativeLibvirt;

/**
 * The storage pools {@link PoolStorage} works through: the pool over each folder (found, started, or made as a
 * transient pool), their handles kept for the life of the storage, and volume lookups by path through them.
 *
 * <p>Thread-safety: thread-safe; the mutable state is two concurrent maps (pool by folder, handle by pool name).
 */
public final class PoolRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PoolRegistry.class);

    private final Connect conn;
    /** The host's URI, for messages. */
    private final String uri;
    private final Map<String, String> poolByFolder = new ConcurrentHashMap<>();

    /**
     * @param conn the connection (owned by the host)
     * @param uri the host's URI, for messages
     */
    public PoolRegistry(Connect conn, String uri) {
        this.conn = conn;
        this.uri = uri;
    }

    /** @return whether a pool is known (made or found before) over {@code folder} */
    public boolean knows(String folder) {
        return poolByFolder.containsKey(folder);
    }

    /** @return the name of an active pool over {@code folder}, made if needed (with the folder when build) */
    public Optional<String> pool(String folder, boolean build) {
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

    public String requirePool(String folder) {
        return pool(folder, false).orElseThrow(() -> new StorageException("folder '" + folder + "' does not exist on"
                + " the host " + uri));
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
    public Optional<String> findPool(String folder) {
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

    public static String poolName(String folder) {
        String stem = Volumes.fileName(folder).replaceAll("[^A-Za-z0-9_.-]", "_");
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
    public interface PoolCall<T> {
        T apply(StoragePool p) throws LibvirtException;
    }

    private static boolean isCode(LibvirtException e, String code) {
        return LibvirtErrors.isCode(e, code);
    }

    /** Pool handles by pool name, kept for the life of this storage (freed by {@link #close()}). */
    private final Map<String, StoragePool> poolHandles = new ConcurrentHashMap<>();

    /** @return the kept handle of the pool named {@code name}, looked up once */
    public StoragePool poolHandle(String name) throws LibvirtException {
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

    public <T> T inPool(String folder, String doing, PoolCall<T> call) {
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
    public Optional<StorageVol> volume(String path) {
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
        String folder = Volumes.parent(path);
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
                return Optional.of(p.storageVolLookupByName(Volumes.fileName(path)));
            } catch (LibvirtException miss) {
                refresh(p);
                try {
                    return Optional.of(p.storageVolLookupByName(Volumes.fileName(path)));
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
    public static void refresh(StoragePool p) throws LibvirtException {
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

    /**
     * Looks {@code path} up in the pool already known for its folder: one call that locks that pool only.
     * ({@code virStorageVolLookupByPath} locks every pool in turn, so it waits for any pool's refresh, and libvirtd
     * refreshes a whole pool after every upload: the state pool after each journal write.)
     *
     * @return the volume, empty when that pool has no such volume (it may still be a file made behind libvirt's
     *         back), or null when no pool is known for the folder yet
     */
    public Optional<StorageVol> inKnownPool(String path) {
        String folder = Volumes.parent(path);
        String name = poolByFolder.get(folder);
        if (name == null) {
            return null;
        }
        try {
            return Optional.of(poolHandle(name).storageVolLookupByName(Volumes.fileName(path)));
        } catch (LibvirtException e) {
            if (isCode(e, "VIR_ERR_NO_STORAGE_VOL")) {
                return Optional.empty();
            }
            LOG.trace("looking up {} in pool {} failed: {}", path, name, e.getMessage());
            return null; // the pool vanished (libvirtd restarted): the general path makes it again
        }
    }

    /** Stops the transient pool ESM made over a folder about to be removed (a user's pool is left alone). */
    public void dropPool(String folder) {
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

    /** A call on a volume. */
    @FunctionalInterface
    public interface VolCall<T> {
        T apply(StorageVol v) throws LibvirtException, IOException;
    }

    /** Runs {@code call} on the volume at {@code path} (which must exist), its failure a {@link StorageException}. */
    public <T> T withVolume(String path, String doing, VolCall<T> call) {
        StorageVol v = volume(path).orElseThrow(() -> new StorageException("'" + path + "' does not exist"));
        try {
            return call.apply(v);
        } catch (LibvirtException | IOException e) {
            throw new StorageException(doing + " '" + path + "' failed: " + e.getMessage(), e);
        } finally {
            free(v);
        }
    }

    /** Forgets the pools and frees their kept handles. */
    @Override
    public void close() {
        poolByFolder.clear();
        poolHandles.values().forEach(PoolRegistry::free);
        poolHandles.clear();
    }

    private static void free(StoragePool p) {
        Volumes.free(p);
    }

    private static void free(StorageVol v) {
        Volumes.free(v);
    }
}
