package dev.esm.libvirt.internal.pool;

import dev.esm.api.errors.StorageException;
import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.OverlayLayout;
import dev.esm.core.port.Storage;
import dev.esm.core.xml.Xml;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;
import dev.esm.libvirt.internal.image.Qcow2;

/**
 * Makes {@link PoolStorage}'s overlays: uploaded as a qcow2 header made in-process, or (in folders of many files)
 * made by libvirt from a volume XML with a backing store.
 *
 * <p>Thread-safety: thread-safe; the mutable state is two concurrent maps (folders' volume counts, frozen images'
 * sizes) and the upload limit.
 */
public final class OverlayCreator {
    private static final Logger LOG = LoggerFactory.getLogger(OverlayCreator.class);

    private final Connect conn;
    private final PoolRegistry pools;
    /** The storage the overlays are made in: whether a path exists, removal of a half-made one. */
    private final Storage files;
    /** How the overlays are laid out, uploaded or made by libvirt. */
    private final OverlayLayout layout;

    /**
     * @param conn the connection (uploads)
     * @param pools the pools volumes are made in
     * @param files the storage the overlays are made in
     * @param layout how the overlays are laid out ({@link OverlayLayout#SUBCLUSTERS} needs QEMU 5.2 and libvirt
     *               8.1 on the host)
     */
    public OverlayCreator(Connect conn, PoolRegistry pools, Storage files, OverlayLayout layout) {
        this.conn = conn;
        this.pools = pools;
        this.files = files;
        this.layout = java.util.Objects.requireNonNull(layout, "layout");
    }

    /**
     * Creates the overlay as {@link dev.esm.libvirt.internal.local.LocalStorage} does: the qcow2 v3 header with the backing image and its format,
     * made in-process ({@link Qcow2#overlayImage}), written into a new volume created exclusively with mode 0600.
     * Small folders get the upload, large ones libvirt's own creation (see {@link #UPLOAD_LIMIT}).
     * (libvirt's own way, a volume XML with a backing store, runs {@code qemu-img create} on the host: tens of
     * milliseconds per disk.) libvirt describes the volume as raw until its pool is next refreshed; ESM always
     * passes formats explicitly and never asks libvirt for a volume's format.
     *
     * @return the new volume's handle (the caller's to free)
     */
    public StorageVol create(String path, DiskImage backing) {
        return create(path, backing, layout);
    }

    /**
     * Creates the overlay as {@link #create(String, DiskImage)} does, in the given layout.
     *
     * @return the new volume's handle (the caller's to free)
     */
    public StorageVol create(String path, DiskImage backing, OverlayLayout layout) {
        Long known = frozenSizes.get(backing.path());
        long size = known != null ? known : pools.withVolume(backing.path(), "reading the size of", v -> {
            // libvirt reads the volume again for its XML: for a volume it knows as qcow2 (every one after a refresh
            // of its pool, which libvirtd makes after each upload) the capacity is the header's virtual size as it
            // is now. One call; a download of the header costs several and a stream on the host.
            Element root = Xml.parse(v.getXMLDesc(0)).getDocumentElement();
            if (backing.format() == ImageFormat.RAW || "qcow2".equals(volumeFormat(root))) {
                return Volumes.longOf(root, "capacity");
            }
            ByteBuffer head = ByteBuffer.wrap(Volumes.download(conn, v, 0, 32));
            if (head.limit() < 32) {
                throw new IOException("not a qcow2 image");
            }
            return head.getLong(24);
        });
        frozenSizes.put(backing.path(), size);
        if (frozenSizes.size() > 10_000) {
            frozenSizes.clear();
        }
        String folder = Volumes.parent(path);
        StorageVol created = largeFolder(folder) ? createdByLibvirt(path, backing, size, layout)
                : uploaded(path, backing, size, layout);
        return created;
    }

    /** The overlay as {@link Qcow2#overlayImage} makes it, uploaded into a new raw volume (exclusive, mode 0600). */
    private StorageVol uploaded(String path, DiskImage backing, long size, OverlayLayout layout) {
        byte[] image;
        try {
            image = Qcow2.overlayImage(backing.path(), backing.format(), size, layout);
        } catch (IOException e) {
            throw new StorageException("cannot create overlay '" + path + "': " + e.getMessage(), e);
        }
        String xml = "<volume><name>" + Xml.escape(Volumes.fileName(path)) + "</name><capacity>" + image.length
                + "</capacity><allocation>0</allocation><target><format type='raw'/><permissions><mode>0600</mode>"
                + "</permissions></target></volume>";
        StorageVol created = createExclusively(path, xml);
        try {
            Volumes.upload(conn, created, 0, image);
        } catch (LibvirtException e) {
            free(created);
            removeQuietly(files, path);
            throw new StorageException("cannot write overlay '" + path + "': " + e.getMessage(), e);
        }
        counted(Volumes.parent(path), 1);
        return created;
    }

    /**
     * The overlay made by libvirt from a volume XML with its backing store and format ({@code qemu-img create} on
     * the host: exclusive, qcow2 v3, the backing format recorded, mode 0600, in the same layout as an upload). No
     * upload, so no rescan of the folder.
     */
    private StorageVol createdByLibvirt(String path, DiskImage backing, long size, OverlayLayout layout) {
        String subclusters = layout == OverlayLayout.SUBCLUSTERS
                ? "<clusterSize unit='KiB'>" + Qcow2.clusterSize(layout) / 1024 + "</clusterSize>"
                        + "<features><extended_l2/></features>"
                : "";
        String xml = "<volume><name>" + Xml.escape(Volumes.fileName(path)) + "</name><capacity>" + size + "</capacity>"
                + "<target><format type='qcow2'/><compat>1.1</compat>" + subclusters
                + "<permissions><mode>0600</mode></permissions></target><backingStore><path>" + Xml.escape(backing.path()) + "</path><format type='"
                + backing.format().id() + "'/></backingStore></volume>";
        StorageVol created = createExclusively(path, xml);
        counted(Volumes.parent(path), 1);
        return created;
    }

    private StorageVol createExclusively(String path, String xml) {
        return pools.inPool(Volumes.parent(path), "creating overlay '" + path + "'", p -> {
            try {
                return p.storageVolCreateXML(xml, 0);
            } catch (LibvirtException e) {
                if (files.exists(path)) {
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
    public static final int UPLOAD_LIMIT = 500;
    /** What new storages take as their limit: {@link #UPLOAD_LIMIT}, or what a test set. */
    public static volatile int defaultUploadLimit = UPLOAD_LIMIT;
    private volatile int uploadLimit = defaultUploadLimit;
    /** How long a folder's volume count is trusted (it changes behind ESM's back only by hand). */
    private static final long COUNT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    /** Volume counts by folder: {count, when read}. */
    private final Map<String, long[]> volumeCounts = new ConcurrentHashMap<>();

    /** @return whether the folder holds so many files that an upload's rescan costs more than libvirt's creation */
    private boolean largeFolder(String folder) {
        long[] known = volumeCounts.get(folder);
        if (known == null || System.nanoTime() - known[1] > COUNT_NANOS) {
            int n = pools.inPool(folder, "counting the files of '" + folder + "'", StoragePool::numOfVolumes);
            known = new long[] {n, System.nanoTime()};
            volumeCounts.put(folder, known);
            if (volumeCounts.size() > 10_000) {
                volumeCounts.clear();
            }
        }
        return known[0] >= uploadLimit;
    }

    /** Sets {@link #UPLOAD_LIMIT} (tests: 0 makes every overlay libvirt's, a large one every overlay uploaded). */
    public void uploadLimit(int files) {
        uploadLimit = files;
    }

    /** Keeps a folder's count current with this client's own changes. */
    public void counted(String folder, int change) {
        volumeCounts.computeIfPresent(folder, (f, c) -> new long[] {Math.max(0, c[0] + change), c[1]});
    }

    /** The virtual sizes of images overlays were made on: frozen images, which never change. */
    private final Map<String, Long> frozenSizes = new ConcurrentHashMap<>();

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

    /**
     * Handles of the overlays this client made, by path, the most recent {@value #KEPT} (a handle is a few bytes
     * on each side): an overlay is usually removed by a later operation of the same client (revert, refresh), which
     * then needs no lookup. libvirt resolves a handle by its pool and name on each call, so a kept handle stays
     * right for a volume removed and made again under the same name.
     */
    private final Map<String, StorageVol> madeVolumes = new LinkedHashMap<>();
    private static final int KEPT = 256;

    /** Keeps the handle of an overlay this client made (the eldest beyond {@value #KEPT} freed). */
    public void keep(String path, StorageVol v) {
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
    public StorageVol made(String path) {
        synchronized (madeVolumes) {
            return madeVolumes.remove(path);
        }
    }

    /** Frees the kept handles. */
    public void close() {
        synchronized (madeVolumes) {
            madeVolumes.values().forEach(OverlayCreator::free);
            madeVolumes.clear();
        }
    }

    private static void removeQuietly(Storage files, String path) {
        try {
            files.remove(path);
        } catch (RuntimeException e) {
            LOG.warn("cannot remove {}: {}", path, e.toString());
        }
    }

    private static void free(StorageVol v) {
        Volumes.free(v);
    }
}
