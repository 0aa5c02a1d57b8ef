package dev.esm.libvirt.internal.pool;

import dev.esm.core.xml.Xml;
import dev.esm.core.port.Fencing;

import java.nio.ByteBuffer;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.w3c.dom.Element;
import org.libvirt.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Byte transfers to and from storage volumes through libvirt streams, and the freeing of libvirt's storage
 * objects, shared by {@link PoolStorage} and {@link dev.esm.libvirt.internal.state.HostState}. A download or an upload is one
 * {@code virStorageVolDownload}/{@code Upload} call, the data, and one {@code virStreamFinish}: two round trips.
 *
 * <p>Thread-safety: stateless; each call uses its own stream.
 */
public final class Volumes {
    private static final Logger LOG = LoggerFactory.getLogger(Volumes.class);
    public static final int CHUNK = 256 * 1024;

    private Volumes() {
    }

    /** @return up to {@code length} bytes of {@code v} from {@code offset} (fewer at the end of the volume) */
    public static byte[] download(Connect conn, StorageVol v, long offset, int length) throws LibvirtException {
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
            free(in);
        }
    }

    /** Writes {@code data} into {@code v} at {@code offset} (the volume is not truncated). */
    public static void upload(Connect conn, StorageVol v, long offset, byte[] data) throws LibvirtException {
        Stream out = conn.streamNew(0);
        try {
            Fencing.check(); // a volume made, then written: a client that lost its lease meanwhile writes nothing
            v.upload(out, offset, data.length, 0);
            sendFully(out, data, data.length);
            out.finish();
        } catch (LibvirtException e) {
            abort(out);
            throw e;
        } finally {
            free(out);
        }
    }

    /** Sends the first {@code n} bytes of {@code buf}, however many calls the stream needs. */
    public static void sendFully(Stream out, byte[] buf, int n) throws LibvirtException {
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

    public static void free(StoragePool p) {
        if (p != null) {
            try {
                p.free();
            } catch (LibvirtException e) {
                LOG.debug("freeing a pool object failed: {}", e.toString());
            }
        }
    }

    public static void free(StorageVol v) {
        if (v != null) {
            try {
                v.free();
            } catch (LibvirtException e) {
                LOG.debug("freeing a volume object failed: {}", e.toString());
            }
        }
    }

    public static void abort(Stream s) {
        if (s != null) {
            try {
                s.abort();
            } catch (LibvirtException e) {
                LOG.debug("aborting a stream failed: {}", e.toString());
            }
        }
    }

    public static void free(Stream s) {
        if (s != null) {
            try {
                s.free();
            } catch (LibvirtException e) {
                LOG.debug("freeing a stream failed: {}", e.toString());
            }
        }
    }

    /** @return the folder of {@code path} ({@code /} for a top-level path) */
    public static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }

    /** @return the last element of {@code path} */
    public static String fileName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** @return the number in {@code root}'s child element {@code child}, or 0 */
    public static long longOf(Element root, String child) {
        return Xml.child(root, child).map(e -> Long.parseLong(e.getTextContent().trim())).orElse(0L);
    }
}
