package dev.esm.libvirt.internal.pool;

import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.lenient;
import static org.mockito.Mockito.mock;

import dev.esm.core.xml.Xml;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.libvirt.Connect;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.libvirt.Stream;
import org.w3c.dom.Element;

/**
 * libvirt's storage API over volumes in memory, as Mockito mocks of libvirt-java's {@link Connect},
 * {@link StoragePool}, {@link StorageVol} and {@link Stream}: a {@code dir} pool per folder, volumes with a capacity
 * and bytes (zeros past what was written), downloads and uploads through streams, libvirt's error codes
 * ({@code VIR_ERR_NO_STORAGE_VOL}, {@code VIR_ERR_NO_STORAGE_POOL}, {@code VIR_ERR_STORAGE_VOL_EXIST}). A volume
 * handle is resolved by its pool and name on each call, as libvirt does: a kept handle of a removed volume fails with
 * {@code VIR_ERR_NO_STORAGE_VOL}. For the unit tests of the storage-API image store and the state on a host; no
 * libvirtd.
 */
public final class InMemoryPools {
    /** The connection every call goes through. */
    public final Connect conn = mock(Connect.class);
    /** Folders on the "host" (a pool over a missing folder is made only with the build flag). */
    private final List<String> dirs = new CopyOnWriteArrayList<>();
    private final Map<String, Pool> pools = new LinkedHashMap<>();
    /** Uploads made, as {@code <volume name>@<offset>}, in order. */
    public final List<String> uploads = new CopyOnWriteArrayList<>();
    /** How many pool refreshes were asked for. */
    public final AtomicInteger refreshes = new AtomicInteger();
    /** Flips one byte of every upload's data on its way when set (a copy that arrives damaged). */
    public volatile boolean damageUploads;
    private final AtomicInteger freedVolumes = new AtomicInteger();
    private final AtomicInteger volumeHandles = new AtomicInteger();

    /** A volume: its bytes up to what was written, its capacity, and what libvirt says of it. */
    public static final class Vol {
        public final String name;
        public long capacity;
        public byte[] data = new byte[0];
        public String format = "raw";
        public String permissions = "<mode>0600</mode>";
        public String backing;
        public final String xml;

        Vol(String name, long capacity, String xml) {
            this.name = name;
            this.capacity = capacity;
            this.xml = xml;
        }

        /** @return the bytes from {@code offset}, zeros past what was written */
        public synchronized byte[] read(long offset, int length) {
            byte[] out = new byte[length];
            if (offset < data.length) {
                System.arraycopy(data, (int) offset, out, 0, (int) Math.min(length, data.length - offset));
            }
            return out;
        }

        synchronized void write(long offset, byte[] bytes, int n) {
            long end = offset + n;
            if (end > data.length) {
                data = Arrays.copyOf(data, (int) end);
            }
            System.arraycopy(bytes, 0, data, (int) offset, n);
            capacity = Math.max(capacity, end);
        }
    }

    /** A pool over a folder. */
    private final class Pool {
        final String name;
        final String folder;
        final boolean persistent;
        final Map<String, Vol> volumes = new LinkedHashMap<>();

        Pool(String name, String folder, boolean persistent) {
            this.name = name;
            this.folder = folder;
            this.persistent = persistent;
        }

        /** @return a new handle on this pool, as every lookup gives */
        StoragePool handle() throws LibvirtException {
            StoragePool handle = mock(StoragePool.class);
            lenient().when(handle.getName()).thenReturn(name);
            lenient().when(handle.isActive()).thenReturn(1);
            lenient().when(handle.isPersistent()).thenReturn(persistent ? 1 : 0);
            lenient().when(handle.getXMLDesc(anyInt())).thenReturn("<pool type='dir'><name>" + name
                    + "</name><target><path>" + folder + "</path></target></pool>");
            lenient().when(handle.listVolumes()).thenAnswer(i -> {
                synchronized (InMemoryPools.this) {
                    return volumes.keySet().toArray(String[]::new);
                }
            });
            lenient().when(handle.numOfVolumes()).thenAnswer(i -> {
                synchronized (InMemoryPools.this) {
                    return volumes.size();
                }
            });
            lenient().when(handle.storageVolLookupByName(anyString())).thenAnswer(i -> lookup(this, i.getArgument(0)));
            lenient().when(handle.storageVolCreateXML(anyString(), anyInt())).thenAnswer(i -> create(this,
                    i.getArgument(0)));
            lenient().doAnswer(i -> {
                refreshes.incrementAndGet();
                return null;
            }).when(handle).refresh(anyInt());
            lenient().doAnswer(i -> {
                stop(this);
                return null;
            }).when(handle).destroy();
            return handle;
        }
    }

    public InMemoryPools() {
        try {
            lenient().when(conn.listStoragePools()).thenAnswer(i -> {
                synchronized (this) {
                    return pools.keySet().toArray(String[]::new);
                }
            });
            lenient().when(conn.listDefinedStoragePools()).thenReturn(new String[0]);
            lenient().when(conn.storagePoolLookupByName(anyString())).thenAnswer(i -> pool(i.getArgument(0)).handle());
            lenient().when(conn.storagePoolCreateXML(anyString(), anyInt())).thenAnswer(i -> {
                Element root = Xml.parse(i.getArgument(0)).getDocumentElement();
                String name = Xml.child(root, "name").orElseThrow().getTextContent();
                String folder = Xml.child(root, "target").flatMap(t -> Xml.child(t, "path")).orElseThrow()
                        .getTextContent();
                int flags = i.getArgument(1);
                synchronized (this) {
                    if (!dirs.contains(folder)) {
                        if (flags == 0) {
                            throw error(Error.ErrorNumber.VIR_ERR_INTERNAL_ERROR, "cannot open directory '" + folder
                                    + "': No such file or directory");
                        }
                        dirs.add(folder);
                    }
                    return addPool(name, folder, false).handle();
                }
            });
            lenient().when(conn.storageVolLookupByPath(anyString())).thenAnswer(i -> {
                String path = i.getArgument(0);
                Pool p = poolOver(Volumes.parent(path));
                if (p == null) {
                    throw error(Error.ErrorNumber.VIR_ERR_NO_STORAGE_VOL, "no storage vol with matching path '"
                            + path + "'");
                }
                return lookup(p, Volumes.fileName(path));
            });
            lenient().when(conn.streamNew(anyInt())).thenAnswer(i -> stream());
        } catch (LibvirtException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return a libvirt error with this code and message, as libvirt-java throws it */
    public static LibvirtException error(Error.ErrorNumber code, String message) {
        Error err = mock(Error.class);
        lenient().when(err.getCode()).thenReturn(code);
        lenient().when(err.getMessage()).thenReturn(message);
        LibvirtException e = mock(LibvirtException.class);
        lenient().when(e.getError()).thenReturn(err);
        lenient().when(e.getMessage()).thenReturn(message);
        lenient().when(e.toString()).thenReturn("LibvirtException: " + message);
        return e;
    }

    /** Makes a folder on the host (no pool over it yet). */
    public synchronized InMemoryPools folder(String path) {
        if (!dirs.contains(path)) {
            dirs.add(path);
        }
        return this;
    }

    /** Defines a persistent pool of the user's over a folder (made too). */
    public synchronized InMemoryPools userPool(String name, String folder) {
        folder(folder);
        addPool(name, folder, true);
        return this;
    }

    private synchronized Pool addPool(String name, String folder, boolean persistent) {
        Pool p = new Pool(name, folder, persistent);
        pools.put(name, p);
        adopt(p); // a pool started over a folder scans it
        return p;
    }

    /** Stops a pool: its files stay in the folder. */
    private synchronized void stop(Pool p) {
        if (pools.remove(p.name, p)) {
            p.volumes.values().forEach(v -> behindLibvirt.put(p.folder + "/" + v.name, v));
        }
    }

    /** Stops every transient pool, as a restart of libvirtd does. */
    public synchronized void restartLibvirtd() {
        new ArrayList<>(pools.values()).stream().filter(p -> !p.persistent).forEach(this::stop);
    }

    /** @return the names of the active pools */
    public synchronized List<String> poolNames() {
        return new ArrayList<>(pools.keySet());
    }

    /** Puts a file on the host (its folder too, with no pool over it unless one is there), with these bytes. */
    public synchronized Vol file(String path, byte[] bytes) {
        folder(Volumes.parent(path));
        Pool p = poolOver(Volumes.parent(path));
        Vol v = new Vol(Volumes.fileName(path), bytes.length, null);
        v.write(0, bytes, bytes.length);
        if (p != null) {
            p.volumes.put(v.name, v);
        } else {
            behindLibvirt.put(path, v);
        }
        return v;
    }

    /** Files written behind libvirt's back into folders without a pool yet: a pool made later finds them. */
    private final Map<String, Vol> behindLibvirt = new LinkedHashMap<>();

    /** @return the volume at {@code path}, if there */
    public synchronized Optional<Vol> volume(String path) {
        Pool p = poolOver(Volumes.parent(path));
        return p == null ? Optional.ofNullable(behindLibvirt.get(path))
                : Optional.ofNullable(p.volumes.get(Volumes.fileName(path)));
    }

    /** @return how many volume handles were freed (a handle is made by every lookup and creation) */
    public int freedVolumes() {
        return freedVolumes.get();
    }

    /** @return how many volume handles were made */
    public int volumeHandles() {
        return volumeHandles.get();
    }

    /** Removes a file behind ESM's back (by hand, or by another client). */
    public synchronized void removeFile(String path) {
        Pool p = poolOver(Volumes.parent(path));
        if (p != null) {
            p.volumes.remove(Volumes.fileName(path));
        }
        behindLibvirt.remove(path);
    }

    private synchronized Pool pool(String name) throws LibvirtException {
        Pool p = pools.get(name);
        if (p == null) {
            throw error(Error.ErrorNumber.VIR_ERR_NO_STORAGE_POOL, "Storage pool not found: no storage pool with"
                    + " matching name '" + name + "'");
        }
        return p;
    }

    private synchronized Pool poolOver(String folder) {
        for (Pool p : pools.values()) {
            if (p.folder.equals(folder)) {
                return p;
            }
        }
        return null;
    }

    private StorageVol lookup(Pool p, String name) throws LibvirtException {
        synchronized (this) {
            adopt(p);
            if (!p.volumes.containsKey(name) || pools.get(p.name) != p) {
                throw error(Error.ErrorNumber.VIR_ERR_NO_STORAGE_VOL, "Storage volume not found: no storage vol"
                        + " with matching name '" + name + "'");
            }
        }
        return handle(p, name);
    }

    /** A pool made over a folder takes in the files already in it. */
    private void adopt(Pool p) {
        behindLibvirt.entrySet().removeIf(e -> {
            if (Volumes.parent(e.getKey()).equals(p.folder)) {
                p.volumes.put(e.getValue().name, e.getValue());
                return true;
            }
            return false;
        });
    }

    private StorageVol create(Pool p, String xml) throws LibvirtException {
        Element root = Xml.parse(xml).getDocumentElement();
        String name = Xml.child(root, "name").orElseThrow().getTextContent();
        synchronized (this) {
            adopt(p);
            if (p.volumes.containsKey(name)) {
                throw error(Error.ErrorNumber.VIR_ERR_STORAGE_VOL_EXIST, "storage volume '" + name
                        + "' exists already");
            }
            Vol v = new Vol(name, Volumes.longOf(root, "capacity"), xml);
            Optional<Element> target = Xml.child(root, "target");
            target.flatMap(t -> Xml.child(t, "format")).ifPresent(f -> v.format = f.getAttribute("type"));
            target.flatMap(t -> Xml.child(t, "permissions")).ifPresent(perm -> {
                StringBuilder s = new StringBuilder();
                for (Element e : Xml.elements(perm)) {
                    s.append(Xml.write(e));
                }
                v.permissions = s.toString();
            });
            Xml.child(root, "backingStore").flatMap(b -> Xml.child(b, "path"))
                    .ifPresent(b -> v.backing = b.getTextContent());
            p.volumes.put(name, v);
        }
        return handle(p, name);
    }

    /** @return the volume a handle names, now; {@code VIR_ERR_NO_STORAGE_VOL} when it is gone */
    private Vol resolve(Pool p, String name) throws LibvirtException {
        synchronized (this) {
            Vol v = pools.get(p.name) == p ? p.volumes.get(name) : null;
            if (v == null) {
                throw error(Error.ErrorNumber.VIR_ERR_NO_STORAGE_VOL, "Storage volume not found: no storage vol"
                        + " with matching name '" + name + "'");
            }
            return v;
        }
    }

    private StorageVol handle(Pool p, String name) throws LibvirtException {
        volumeHandles.incrementAndGet();
        StorageVol h = mock(StorageVol.class);
        String path = p.folder + "/" + name;
        lenient().when(h.getName()).thenReturn(name);
        lenient().when(h.getPath()).thenReturn(path);
        lenient().when(h.free()).thenAnswer(i -> {
            freedVolumes.incrementAndGet();
            return 0;
        });
        lenient().when(h.getXMLDesc(anyInt())).thenAnswer(i -> {
            Vol v = resolve(p, name);
            synchronized (v) {
                return "<volume type='file'><name>" + Xml.escape(name) + "</name><capacity unit='bytes'>"
                        + v.capacity + "</capacity><physical unit='bytes'>" + v.data.length + "</physical><target>"
                        + "<path>" + Xml.escape(path) + "</path><format type='" + v.format + "'/><permissions>"
                        + v.permissions + "</permissions></target></volume>";
            }
        });
        lenient().doAnswer(i -> {
            Vol v = resolve(p, name);
            synchronized (this) {
                p.volumes.remove(name, v);
            }
            return null;
        }).when(h).delete(anyInt());
        lenient().doAnswer(i -> {
            StreamState s = states.get(i.getArgument(0));
            s.bind(resolve(p, name), i.getArgument(1), i.getArgument(2), false);
            return null;
        }).when(h).download(any(Stream.class), anyLong(), anyLong(), anyInt());
        lenient().doAnswer(i -> {
            StreamState s = states.get(i.getArgument(0));
            s.bind(resolve(p, name), i.getArgument(1), i.getArgument(2), true);
            uploads.add(name + "@" + (long) i.getArgument(1));
            return null;
        }).when(h).upload(any(Stream.class), anyLong(), anyLong(), anyInt());
        return h;
    }

    /** What a stream is bound to: a volume, where, how much, which way. */
    private final class StreamState {
        Vol vol;
        long at;
        long left;
        boolean upload;
        boolean damaged;

        void bind(Vol v, long offset, long length, boolean up) {
            vol = v;
            at = offset;
            left = up ? length : Math.max(0, Math.min(length, v.capacity - offset));
            upload = up;
        }

        int receive(byte[] buf) {
            int n = (int) Math.min(buf.length, left);
            if (n > 0) {
                System.arraycopy(vol.read(at, n), 0, buf, 0, n);
                at += n;
                left -= n;
            }
            return n;
        }

        int send(byte[] buf) {
            byte[] b = buf;
            if (damageUploads && !damaged && b.length > 0) {
                b = buf.clone();
                b[0] ^= 1;
                damaged = true;
            }
            vol.write(at, b, b.length);
            at += b.length;
            left -= b.length;
            return b.length;
        }
    }

    private final Map<Stream, StreamState> states = new java.util.concurrent.ConcurrentHashMap<>();

    private Stream stream() throws LibvirtException {
        Stream s = mock(Stream.class);
        StreamState state = new StreamState();
        states.put(s, state);
        lenient().when(s.receive(any(byte[].class))).thenAnswer(i -> state.receive(i.getArgument(0)));
        lenient().when(s.send(any(byte[].class))).thenAnswer(i -> state.send(i.getArgument(0)));
        return s;
    }

    /** The state pool over {@code folder} on this connection, as {@link PoolStorage#statePool()} gives it. */
    public StatePool statePool(String folder) {
        PoolRegistry registry = new PoolRegistry(conn, "test+ssh://host/system");
        folder(folder);
        return new StatePool() {
            @Override
            public <T> T call(String doing, StatePool.PoolCall<T> call) {
                return registry.inPool(folder, doing, call::apply);
            }

            @Override
            public String name() {
                return registry.requirePool(folder);
            }

            @Override
            public String folder() {
                return folder;
            }
        };
    }
}
