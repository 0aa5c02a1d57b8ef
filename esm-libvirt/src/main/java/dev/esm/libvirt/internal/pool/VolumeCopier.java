package dev.esm.libvirt.internal.pool;

import dev.esm.api.errors.StorageException;
import dev.esm.core.xml.Xml;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.Stream;
import org.libvirt.StorageVol;
import org.w3c.dom.Element;

/**
 * Copies a volume's bytes into another through the client (a download streamed into an upload), with a CRC32C of
 * what was sent and of what is read back, for {@link PoolStorage}'s copies: libvirt's own host-side copy converts by
 * the format it probes and flattens backing chains.
 *
 * <p>Thread-safety: thread-safe (no mutable state; each copy uses its own streams).
 */
public final class VolumeCopier {
    private static final int CHUNK = Volumes.CHUNK;

    private final Connect conn;
    private final PoolRegistry pools;

    /**
     * @param conn the connection streams are made on
     * @param pools where volumes are looked up
     */
    public VolumeCopier(Connect conn, PoolRegistry pools) {
        this.conn = conn;
        this.pools = pools;
    }

    /** @return the volume's {@code <mode>}, {@code <owner>} and {@code <group>}, as libvirt describes them */
    public static String permissionsOf(StorageVol v) throws LibvirtException {
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

    /** @return the CRC32C of what was copied */
    public long copy(String from, String to, long size) {
        StorageVol src = pools.volume(from).orElseThrow(() -> new StorageException("'" + from + "' does not exist"));
        StorageVol dst = pools.volume(to).orElseThrow(() -> new StorageException("'" + to + "' vanished"));
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

    /** @return the CRC32C of the volume's first {@code size} bytes */
    public long checksum(StorageVol v, long size) throws LibvirtException {
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

    private static void abort(Stream s) {
        Volumes.abort(s);
    }

    private static void freeStream(Stream s) {
        Volumes.free(s);
    }

    private static void free(StorageVol v) {
        Volumes.free(v);
    }
}
