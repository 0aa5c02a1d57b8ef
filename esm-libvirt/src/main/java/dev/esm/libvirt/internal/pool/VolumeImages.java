package dev.esm.libvirt.internal.pool;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.core.port.Storage.BackingReference;
import dev.esm.api.ImageInfo;
import dev.esm.core.model.Names;
import dev.esm.core.xml.Xml;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StorageVol;
import org.w3c.dom.Element;
import dev.esm.libvirt.internal.image.Qcow2;

/**
 * Reads {@link PoolStorage}'s images: sizes from libvirt's volume XML, backing files, encryption and subclusters from
 * the qcow2 header ({@link Qcow2}) downloaded through libvirt; and rewrites a header's backing reference in place.
 *
 * <p>Thread-safety: thread-safe (no mutable state).
 */
public final class VolumeImages {
    private final Connect conn;
    private final PoolRegistry pools;

    /**
     * @param conn the connection (downloads)
     * @param pools where volumes are looked up
     */
    public VolumeImages(Connect conn, PoolRegistry pools) {
        this.conn = conn;
        this.pools = pools;
    }

    /** @return the image's sizes and backing file, read through libvirt and its qcow2 header */
    public ImageInfo info(String path, ImageFormat format) {
        return pools.withVolume(path, "reading", v -> {
            Element root = Xml.parse(v.getXMLDesc(0)).getDocumentElement();
            long capacity = Volumes.longOf(root, "capacity");
            long allocation = Volumes.longOf(root, "allocation");
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

    /** @return the image's backing file, from its qcow2 header */
    public Optional<DiskImage> backing(String path, ImageFormat format) {
        if (format != ImageFormat.QCOW2) {
            return Optional.empty();
        }
        return pools.withVolume(path, "reading the header of", v -> backingOf(header(v), path));
    }

    /** @return whether the image is encrypted: the crypt method in a qcow2 header, or a LUKS header at the start of a volume read as raw. */
    public boolean encrypted(String path, ImageFormat format) {
        return pools.withVolume(path, "reading the header of", v -> Qcow2.encrypted(ByteBuffer.wrap(Volumes.download(conn, v, 0, 36)),
                format));
    }

    /** @return the backing reference as recorded in the qcow2 header */
    public Optional<BackingReference> backingReference(String path, ImageFormat format) {
        if (format != ImageFormat.QCOW2) {
            return Optional.empty();
        }
        return pools.withVolume(path, "reading the header of", v -> {
            String[] b = Qcow2.backing(header(v), path);
            return b == null ? Optional.<BackingReference>empty()
                    : Optional.of(new BackingReference(b[0], Optional.ofNullable(b[1])));
        });
    }

    /** @return whether the image's qcow2 header says it has subclusters (extended L2 entries) */
    public boolean subclusters(String path) {
        return pools.withVolume(path, "reading the header of", v -> Qcow2.subclusters(
                ByteBuffer.wrap(Volumes.download(conn, v, 0, 80))));
    }

    /**
     * Points the image at a new backing file by rewriting its header's backing reference in place (download, rewrite,
     * upload of the first 64 KiB), as {@code qemu-img rebase -u} would.
     */
    public void rebase(String image, DiskImage newBacking) {
        pools.withVolume(image, "pointing at " + newBacking.path() + ":", v -> {
            byte[] head = Volumes.download(conn, v, 0, 1 << 16);
            byte[] rewritten = Qcow2.rebasedHeader(ByteBuffer.wrap(head), newBacking.path(), newBacking.format());
            Volumes.upload(conn, v, 0, rewritten);
            return null;
        });
    }

    /** @return an image's header with its extensions and backing name: one download, two when the name lies far */
    private ByteBuffer header(StorageVol v) throws LibvirtException {
        ByteBuffer head = ByteBuffer.wrap(Volumes.download(conn, v, 0, 4096));
        if (head.limit() >= 20 && head.getLong(8) + head.getInt(16) > head.limit()) {
            head = ByteBuffer.wrap(Volumes.download(conn, v, 0, 1 << 21));
        }
        return head;
    }

    private Optional<DiskImage> backingOf(ByteBuffer head, String path) throws IOException {
        String[] b = Qcow2.backing(head, path);
        if (b == null) {
            return Optional.empty();
        }
        String backingPath = b[0].startsWith("/") ? b[0] : Names.join(Volumes.parent(path), b[0]);
        return Optional.of(new DiskImage("?", backingPath,
                b[1] == null ? ImageFormat.QCOW2 : ImageFormat.fromId(b[1]).orElse(ImageFormat.QCOW2)));
    }
}
