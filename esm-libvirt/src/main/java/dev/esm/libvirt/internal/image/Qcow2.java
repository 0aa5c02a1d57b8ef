package dev.esm.libvirt.internal.image;

import dev.esm.api.ImageFormat;
import dev.esm.api.OverlayLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes the little of the qcow2 format ESM needs, in-process (no {@code qemu-img} process: ten
 * milliseconds each, paid per disk on every create and revert otherwise):
 * <ul>
 *   <li>the virtual size of an image (qcow2 header, or a raw file's length);</li>
 *   <li>an empty qcow2 v3 overlay on a backing image, laid out as {@code qemu-img create -f qcow2 -F fmt -b
 *       backing -u} lays it out: header with the backing format extension and backing name in cluster 0, the
 *       refcount table in cluster 1, its one refcount block in cluster 2, the (empty) L1 table from cluster 3.
 *       The backing format is always recorded, so nothing ever probes it. In the {@linkplain
 *       OverlayLayout#SUBCLUSTERS subcluster layout} ({@code -o extended_l2=on,cluster_size=128k}) the clusters are
 *       128 KiB, an L2 entry is 16 bytes (the allocation bitmap of its 32 subclusters follows the cluster's offset),
 *       the header says so in its incompatible features (bit 4) and is 112 bytes long (the compression type, zlib);
 *       in the {@linkplain OverlayLayout#CLASSIC classic one} the clusters are 64 KiB, the L2 entries 8 bytes, the
 *       header 104 bytes.</li>
 * </ul>
 * See QEMU's {@code docs/interop/qcow2.txt}. Stateless; thread-safe.
 */
public final class Qcow2 {
    private static final int MAGIC = 0x514649fb;
    private static final int CLUSTER_BITS = 16;
    private static final int CLUSTER = 1 << CLUSTER_BITS;
    private static final int HEADER_LENGTH = 104;
    /** The header of the subcluster layout: {@link #HEADER_LENGTH} and the compression type, padded to 8 bytes. */
    private static final int HEADER_LENGTH_WITH_COMPRESSION_TYPE = 112;
    /** The incompatible feature bit of extended L2 entries (subclusters). */
    public static final long EXTENDED_L2 = 1L << 4;
    private static final int EXT_BACKING_FORMAT = 0xe2792aca;

    private Qcow2() {
    }

    /** The unit QEMU sizes block devices in: a raw file's length is rounded up to it. */
    public static final int SECTOR = 512;

    /**
     * @return the guest-visible size of an image, read from its header (qcow2) or its length rounded up to whole
     *     sectors (raw), as QEMU opens it
     */
    public static long virtualSize(Path image, ImageFormat format) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            if (format == ImageFormat.RAW) {
                return sectors(ch.size());
            }
            ByteBuffer b = ByteBuffer.allocate(32);
            ch.read(b, 0);
            b.flip();
            if (b.remaining() < 32 || b.getInt(0) != MAGIC) {
                throw new IOException(image + " is not a qcow2 image");
            }
            return b.getLong(24);
        }
    }

    /**
     * @return whether an image is encrypted: a qcow2 header's crypt method is set (AES or LUKS), or a file opened as
     *     raw starts with a LUKS header
     */
    public static boolean encrypted(Path image, ImageFormat format) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(36);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // the first bytes
            }
            b.flip();
            return encrypted(b, format);
        }
    }

    /** @return whether an image whose first bytes (up to 36) are {@code b} is encrypted; see {@link #encrypted(Path, ImageFormat)} */
    public static boolean encrypted(ByteBuffer b, ImageFormat format) {
        if (format == ImageFormat.QCOW2) {
            return b.limit() >= 36 && b.getInt(0) == MAGIC && b.getInt(32) != 0;
        }
        return b.limit() >= 6 && b.get(0) == 'L' && b.get(1) == 'U' && b.get(2) == 'K' && b.get(3) == 'S'
                && b.get(4) == (byte) 0xba && b.get(5) == (byte) 0xbe;
    }

    /** @return whether a qcow2 image whose first bytes (up to 80) are {@code b} has subclusters ({@code extended_l2}) */
    public static boolean subclusters(ByteBuffer b) {
        return b.limit() >= 80 && b.getInt(0) == MAGIC && b.getInt(4) >= 3 && (b.getLong(72) & EXTENDED_L2) != 0;
    }

    /**
     * @return {@code bytes} rounded up to whole 512-byte sectors: what QEMU shows the guest of a raw file of that
     *     length, and the virtual size {@code qemu-img create} records (an overlay must not cut a raw base's tail)
     */
    public static long sectors(long bytes) {
        return (bytes + SECTOR - 1) & -SECTOR;
    }

    /**
     * Reads a qcow2 header's backing reference: the backing file name and the format recorded in the backing
     * format extension.
     *
     * @return {path, format id or null}, or null when the image has no backing file
     */
    public static String[] backing(Path image) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            // The header, its extensions and the backing name nearly always fit in 4 KiB; read the cluster if not.
            ByteBuffer b = ByteBuffer.allocate(4096);
            ch.read(b, 0);
            b.flip();
            if (b.remaining() >= 20 && b.getLong(8) + b.getInt(16) > b.limit() && ch.size() > b.limit()) {
                b = ByteBuffer.allocate(CLUSTER);
                while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                    // read the whole first cluster
                }
                b.flip();
            }
            return backing(b, image.toString());
        }
    }

    /**
     * Reads the backing reference from the start of a qcow2 image (its header, extensions and backing name).
     *
     * @param b the image's first bytes, from position 0 to the limit
     * @param image the image's name, for messages
     * @return {path, format id or null}, or null when the image has no backing file
     * @throws IOException when the bytes are not a qcow2 header, or the backing name lies beyond them
     */
    public static String[] backing(ByteBuffer b, String image) throws IOException {
        if (b.limit() < 72 || b.getInt(0) != MAGIC) {
            throw new IOException(image + " is not a qcow2 image");
        }
        long offset = b.getLong(8);
        int size = b.getInt(16);
        if (offset == 0 || size == 0) {
            return null;
        }
        if (offset + size > b.limit()) {
            throw new IOException(image + ": backing file name outside the first cluster");
        }
        byte[] all = new byte[b.limit()];
        b.duplicate().position(0).get(all);
        String name = new String(all, (int) offset, size, StandardCharsets.UTF_8);
        String format = null;
        for (int[] ext : extensions(b)) {
            if (ext[0] == EXT_BACKING_FORMAT) {
                format = new String(all, ext[1] + 8, ext[2], StandardCharsets.UTF_8);
            }
        }
        return new String[] {name, format};
    }

    /** @return the bytes a header needs: up to the end of its backing name (at least 104) */
    public static int headerEnd(ByteBuffer b) {
        long end = b.getLong(8) + b.getInt(16);
        return (int) Math.max(end, HEADER_LENGTH);
    }

    /** @return each header extension as {type, position, length}, up to the end marker */
    private static List<int[]> extensions(ByteBuffer b) {
        List<int[]> out = new ArrayList<>();
        int version = b.getInt(4);
        int pos = version >= 3 ? b.getInt(100) : 72;
        while (pos + 8 <= b.limit()) {
            int type = b.getInt(pos);
            int len = b.getInt(pos + 4);
            if (type == 0 || len < 0 || pos + 8 + len > b.limit()) {
                break;
            }
            out.add(new int[] {type, pos, len});
            pos += 8 + ((len + 7) & ~7);
        }
        return out;
    }

    /**
     * Rewrites a qcow2 header to point at another backing image without touching any data, as {@code qemu-img
     * rebase -u -b backing -F format} does: every other header field and extension is kept, the backing format
     * extension is replaced (or added), the backing name follows the extensions. The result must fit in the
     * first cluster.
     *
     * @param cluster0 the image's first cluster (or at least its header, extensions and backing name)
     * @return the bytes to write at offset 0: the new header, padded with zeros to cover the old one
     * @throws IOException when the input is not a qcow2 v2/v3 header or the new one does not fit
     */
    public static byte[] rebasedHeader(ByteBuffer cluster0, String backing, ImageFormat backingFormat) throws IOException {
        ByteBuffer b = cluster0.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
        if (b.limit() < 72 || b.getInt(0) != MAGIC) {
            throw new IOException("not a qcow2 image");
        }
        int version = b.getInt(4);
        int headerLength = version >= 3 ? b.getInt(100) : 72;
        int clusterSize = 1 << b.getInt(20);
        int oldEnd = headerEnd(b);
        for (int[] ext : extensions(b)) {
            oldEnd = Math.max(oldEnd, ext[1] + 8 + ((ext[2] + 7) & ~7) + 8);
        }
        byte[] name = backing.getBytes(StandardCharsets.UTF_8);
        byte[] fmt = backingFormat.id().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(Math.max(clusterSize, oldEnd) + name.length + 64);
        byte[] head = new byte[headerLength];
        b.duplicate().position(0).get(head);
        out.put(head);
        for (int[] ext : extensions(b)) {
            if (ext[0] == EXT_BACKING_FORMAT) {
                continue;
            }
            byte[] data = new byte[8 + ((ext[2] + 7) & ~7)];
            b.duplicate().position(ext[1]).get(data, 0, 8 + ext[2]);
            out.put(data);
        }
        out.putInt(EXT_BACKING_FORMAT).putInt(fmt.length).put(fmt);
        for (int i = fmt.length; i < ((fmt.length + 7) & ~7); i++) {
            out.put((byte) 0);
        }
        out.putInt(0).putInt(0);
        int nameOffset = out.position();
        out.put(name);
        int end = out.position();
        if (end > clusterSize || name.length > 1023) {
            throw new IOException("the new backing name does not fit in the image's first cluster: " + backing);
        }
        out.putLong(8, nameOffset).putInt(16, name.length);
        int length = Math.max(end, Math.min(oldEnd, clusterSize));
        byte[] result = new byte[length];
        out.position(0);
        out.get(result, 0, end);
        return result;
    }

    /**
     * Writes an empty overlay into an existing, empty file and flushes it to stable storage.
     *
     * @param overlay the file (created exclusively by the caller)
     * @param backing the backing image's path, as it will be recorded
     * @param backingFormat the backing image's format, recorded too
     * @param size the virtual size (the backing image's); rounded up to whole sectors
     * @param layout the overlay's layout
     */
    public static void writeOverlay(Path overlay, String backing, ImageFormat backingFormat, long size,
                                    OverlayLayout layout) throws IOException {
        ByteBuffer[] parts = overlayParts(backing, backingFormat, size, layout);
        long cluster = clusterSize(layout);
        try (FileChannel ch = FileChannel.open(overlay, StandardOpenOption.WRITE)) {
            for (int i = 0; i < parts.length; i++) {
                writeFully(ch, parts[i], i * cluster);
            }
            ch.force(true);
        }
    }

    /**
     * The whole content of the empty overlay {@link #writeOverlay} writes, as one array (the gaps between its
     * parts zero), for writing through a stream.
     */
    public static byte[] overlayImage(String backing, ImageFormat backingFormat, long size, OverlayLayout layout)
            throws IOException {
        ByteBuffer[] parts = overlayParts(backing, backingFormat, size, layout);
        int cluster = clusterSize(layout);
        byte[] all = new byte[3 * cluster + parts[3].remaining()];
        for (int i = 0; i < 4; i++) {
            parts[i].get(all, i * cluster, parts[i].remaining());
        }
        return all;
    }

    /** @return the cluster size of an overlay of this layout, in bytes */
    public static int clusterSize(OverlayLayout layout) {
        return 1 << clusterBits(layout);
    }

    private static int clusterBits(OverlayLayout layout) {
        return layout == OverlayLayout.SUBCLUSTERS ? CLUSTER_BITS + 1 : CLUSTER_BITS;
    }

    /** @return the header, refcount table, refcount block and L1 table of an empty overlay, each from cluster i */
    private static ByteBuffer[] overlayParts(String backing, ImageFormat backingFormat, long requested,
                                             OverlayLayout layout) throws IOException {
        boolean subclusters = layout == OverlayLayout.SUBCLUSTERS;
        int clusterBits = clusterBits(layout);
        int cluster = 1 << clusterBits;
        int headerLength = subclusters ? HEADER_LENGTH_WITH_COMPRESSION_TYPE : HEADER_LENGTH;
        long size = sectors(requested); // as qemu-img create does: a 1-byte raw base gives a 512-byte disk, not 0
        byte[] name = backing.getBytes(StandardCharsets.UTF_8);
        byte[] fmt = backingFormat.id().getBytes(StandardCharsets.UTF_8);
        int fmtPadded = (fmt.length + 7) & ~7;
        int backingOffset = headerLength + 8 + fmtPadded + 8;
        if (backingOffset + name.length > CLUSTER || name.length > 1023) {
            throw new IOException("backing file name too long for a qcow2 header: " + backing);
        }
        int l2EntryBytes = subclusters ? 16 : 8; // an extended entry: the offset, then the subclusters' bitmap
        long l2Span = (long) cluster * (cluster / l2EntryBytes); // bytes one L1 entry maps
        int l1Size = (int) ((size + l2Span - 1) / l2Span);
        long l1Bytes = (long) l1Size * 8;
        int l1Clusters = (int) Math.max(1, (l1Bytes + cluster - 1) / cluster);
        int clusters = 3 + l1Clusters; // header, refcount table, refcount block, L1
        if (clusters > cluster / 2) {
            throw new IOException("image too large for a single refcount block: " + size);
        }

        ByteBuffer h = ByteBuffer.allocate(backingOffset + name.length);
        h.putInt(MAGIC).putInt(3);
        h.putLong(backingOffset).putInt(name.length);
        h.putInt(clusterBits).putLong(size);
        h.putInt(0); // no encryption
        h.putInt(l1Size).putLong(3L * cluster);
        h.putLong(cluster).putInt(1); // refcount table: cluster 1, one cluster
        h.putInt(0).putLong(0); // no internal snapshots
        h.putLong(subclusters ? EXTENDED_L2 : 0).putLong(0).putLong(0); // incompatible, compatible, autoclear
        h.putInt(4); // refcount_order: 16-bit refcounts
        h.putInt(headerLength);
        if (subclusters) {
            h.put(new byte[headerLength - HEADER_LENGTH]); // compression type 0 (zlib), padding
        }
        h.putInt(EXT_BACKING_FORMAT).putInt(fmt.length).put(fmt);
        for (int i = fmt.length; i < fmtPadded; i++) {
            h.put((byte) 0);
        }
        h.putInt(0).putInt(0); // end of extensions
        h.put(name);
        h.flip();

        ByteBuffer refTable = ByteBuffer.allocate(8).putLong(2L * cluster);
        refTable.flip();
        ByteBuffer refBlock = ByteBuffer.allocate(clusters * 2);
        for (int i = 0; i < clusters; i++) {
            refBlock.putShort((short) 1);
        }
        refBlock.flip();
        ByteBuffer l1 = ByteBuffer.allocate((int) l1Bytes);
        return new ByteBuffer[] {h, refTable, refBlock, l1};
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long pos = at;
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }
}
