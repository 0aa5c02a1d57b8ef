package dev.esm.libvirt;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.jna.ConnectionPointer;

/**
 * The few libvirt calls libvirt-java lacks, bound with JNA, and the connection type that lets them reach the
 * connection pointer (libvirt-java keeps it protected).
 *
 * <p>Thread-safety: stateless; libvirt's calls are thread-safe on one connection.
 */
final class NativeLibvirt {
    private NativeLibvirt() {
    }

    /** libvirt's C functions ESM binds itself. */
    interface Virt extends Library {
        /** {@code virStoragePoolLookupByTargetPath} (libvirt 4.1): the pool whose target is a folder, or NULL. */
        Pointer virStoragePoolLookupByTargetPath(ConnectionPointer conn, String path);

        /** {@code virStoragePoolGetName}: owned by the pool object. */
        String virStoragePoolGetName(Pointer pool);

        /** {@code virStoragePoolFree}. */
        int virStoragePoolFree(Pointer pool);
    }

    private static final class Holder {
        static final Virt VIRT = Native.load("virt", Virt.class);
    }

    /** A libvirt-java connection whose pointer ESM's own bindings may use. */
    static final class EsmConnect extends Connect {
        EsmConnect(String uri) throws LibvirtException {
            super(uri, false);
        }

        ConnectionPointer pointer() {
            return vcp;
        }
    }

    /**
     * @return the name of the storage pool whose target path is {@code folder}, or null when there is none (or
     *         the library is older than 4.1)
     */
    static String poolNameByTargetPath(Connect conn, String folder) {
        if (!(conn instanceof EsmConnect c)) {
            return null;
        }
        Pointer p;
        try {
            p = Holder.VIRT.virStoragePoolLookupByTargetPath(c.pointer(), folder);
        } catch (UnsatisfiedLinkError old) {
            return null;
        }
        if (p == null) {
            return null;
        }
        try {
            return Holder.VIRT.virStoragePoolGetName(p);
        } finally {
            Holder.VIRT.virStoragePoolFree(p);
        }
    }
}
