package dev.esm.libvirt.internal.pool;

import dev.esm.api.errors.StorageException;
import dev.esm.core.port.ByteSink;
import dev.esm.core.port.ByteSource;
import dev.esm.core.xml.Xml;
import java.util.function.Consumer;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StorageVol;
import org.libvirt.Stream;
import org.w3c.dom.Element;

/**
 * A volume's bytes as a stream through the client, for {@link PoolStorage}'s side of a copy to or from another host:
 * a download of the whole file, or an upload into a volume made for it (raw, owner-only, the folder's pool made if
 * missing), removed again when the upload does not finish.
 *
 * <p>Thread-safety: thread-safe; each stream is used by one thread.
 */
public final class VolumeStreams {
    private final Connect conn;
    private final PoolRegistry pools;
    private final Consumer<String> remove;

    /**
     * @param conn the connection streams are made on
     * @param pools where volumes are looked up and made
     * @param remove removes a volume by path, if it exists
     */
    public VolumeStreams(Connect conn, PoolRegistry pools, Consumer<String> remove) {
        this.conn = conn;
        this.pools = pools;
        this.remove = remove;
    }

    /** @return the bytes of the file the volume {@code path} is (its physical length, not its virtual size) */
    public ByteSource read(String path) {
        StorageVol v = pools.volume(path).orElseThrow(() -> new StorageException("'" + path + "' does not exist"));
        Stream s = null;
        try {
            Element root = Xml.parse(v.getXMLDesc(0)).getDocumentElement();
            long length = Xml.child(root, "physical").map(e -> Long.parseLong(e.getTextContent().trim()))
                    .orElse(Volumes.longOf(root, "capacity"));
            s = conn.streamNew(0);
            v.download(s, 0, length, 0);
            return new Download(s, v, length, path);
        } catch (LibvirtException e) {
            Volumes.abort(s);
            Volumes.free(s);
            Volumes.free(v);
            throw new StorageException("reading '" + path + "' failed: " + e.getMessage(), e);
        }
    }

    /** @return a sink that makes the volume {@code path} (replacing one there) with exactly {@code length} bytes */
    public ByteSink write(String path, long length) {
        remove.accept(path);
        String xml = "<volume><name>" + Xml.escape(Volumes.fileName(path)) + "</name><capacity>" + length
                + "</capacity><allocation>0</allocation><target><format type='raw'/><permissions><mode>0600</mode>"
                + "</permissions></target></volume>";
        pools.pool(Volumes.parent(path), true);
        dev.esm.core.port.Fencing.check();
        pools.inPool(Volumes.parent(path), "creating '" + path + "'", p -> {
            p.storageVolCreateXML(xml, 0).free();
            return null;
        });
        StorageVol v = null;
        Stream s = null;
        try {
            v = pools.volume(path).orElseThrow(() -> new StorageException("'" + path + "' vanished"));
            s = conn.streamNew(0);
            v.upload(s, 0, length, 0);
            return new Upload(s, v, path, true);
        } catch (LibvirtException | RuntimeException e) {
            Volumes.abort(s);
            Volumes.free(s);
            Volumes.free(v);
            remove.accept(path);
            throw e instanceof StorageException se ? se
                    : new StorageException("writing '" + path + "' failed: " + e.getMessage(), e);
        }
    }

    /**
     * @return a sink that writes the existing volume {@code path} in place from its start (an upload into it: the
     *         same file, which a process holding it open sees), with exactly {@code length} bytes, its length now
     */
    public ByteSink overwrite(String path, long length) {
        StorageVol v = pools.volume(path).orElseThrow(() -> new StorageException("'" + path + "' does not exist"));
        Stream s = null;
        try {
            dev.esm.core.port.Fencing.check();
            if (v.getInfo().capacity != length) {
                v.resize(length, 0); // a raw file: its length is its capacity
            }
            s = conn.streamNew(0);
            v.upload(s, 0, length, 0);
            return new Upload(s, v, path, false);
        } catch (LibvirtException | RuntimeException e) {
            Volumes.abort(s);
            Volumes.free(s);
            Volumes.free(v);
            throw e instanceof StorageException se ? se
                    : new StorageException("writing '" + path + "' in place failed: " + e.getMessage(), e);
        }
    }

    /**
     * @return the bytes free in the pool over {@code directory} (made, with the folder, if missing: what a copy into
     *         it does first anyway), refreshed first
     */
    public java.util.OptionalLong freeBytes(String directory) {
        pools.pool(directory, true);
        return java.util.OptionalLong.of(pools.inPool(directory, "reading the free space of " + directory, p -> {
            p.refresh(0);
            return p.getInfo().available;
        }));
    }

    private static final class Download implements ByteSource {
        private final Stream s;
        private final StorageVol v;
        private final long length;
        private final String path;
        private boolean ended;

        Download(Stream s, StorageVol v, long length, String path) {
            this.s = s;
            this.v = v;
            this.length = length;
            this.path = path;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public int read(byte[] buffer) {
            if (ended) {
                return -1;
            }
            try {
                int n = s.receive(buffer);
                if (n <= 0) {
                    s.finish();
                    ended = true;
                    return -1;
                }
                return n;
            } catch (LibvirtException e) {
                throw new StorageException("reading '" + path + "' failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (!ended) {
                Volumes.abort(s);
            }
            Volumes.free(s);
            Volumes.free(v);
        }
    }

    private final class Upload implements ByteSink {
        private final Stream s;
        private final StorageVol v;
        private final String path;
        /** Whether the volume was made for this upload (and is removed again when it does not finish). */
        private final boolean made;
        private boolean finished;

        Upload(Stream s, StorageVol v, String path, boolean made) {
            this.s = s;
            this.v = v;
            this.path = path;
            this.made = made;
        }

        @Override
        public void write(byte[] buffer, int length) {
            try {
                Volumes.sendFully(s, buffer, length);
            } catch (LibvirtException e) {
                throw new StorageException("writing '" + path + "' failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void finish() {
            try {
                s.finish();
                finished = true;
            } catch (LibvirtException e) {
                throw new StorageException("writing '" + path + "' failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (!finished) {
                Volumes.abort(s);
            }
            Volumes.free(s);
            Volumes.free(v);
            if (!finished && made) {
                remove.accept(path);
            }
        }
    }
}
