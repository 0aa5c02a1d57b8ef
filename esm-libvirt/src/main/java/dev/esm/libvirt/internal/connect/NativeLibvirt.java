package dev.esm.libvirt.internal.connect;

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
public final class NativeLibvirt {
    private NativeLibvirt() {
    }

    /** libvirt's C functions ESM binds itself. */
    public interface Virt extends Library {
        /** {@code virStoragePoolLookupByTargetPath} (libvirt 4.1): the pool whose target is a folder, or NULL. */
        Pointer virStoragePoolLookupByTargetPath(ConnectionPointer conn, String path);

        /** {@code virStoragePoolGetName}: owned by the pool object. */
        String virStoragePoolGetName(Pointer pool);

        /** {@code virStoragePoolFree}. */
        int virStoragePoolFree(Pointer pool);

        /** {@code virDomainRestoreFlags} (libvirt 0.9.4): 0 on success, -1 on error. */
        int virDomainRestoreFlags(ConnectionPointer conn, String from, String dxml, int flags);

        /** {@code virDomainSaveImageGetXMLDesc} (libvirt 0.9.4): a string the caller frees, or NULL. */
        Pointer virDomainSaveImageGetXMLDesc(ConnectionPointer conn, String file, int flags);

        /** {@code virGetLastErrorMessage} (libvirt 1.0.6): this thread's last error message; never NULL. */
        String virGetLastErrorMessage();

        /** {@code virGetLastErrorCode} (libvirt 4.5): this thread's last error code ({@code virErrorNumber}). */
        int virGetLastErrorCode();

        /**
         * {@code virConnectDomainEventRegisterAny} (libvirt 0.8.0) for {@code VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2}:
         * a callback id, or -1 on error. {@code dom} NULL: every domain of the connection.
         */
        int virConnectDomainEventRegisterAny(ConnectionPointer conn, Pointer dom, int eventId, BlockJobCallback cb,
                                             Pointer opaque, Pointer freeCallback);

        /** {@code virConnectDomainEventDeregisterAny}: 0 on success, -1 on error. */
        int virConnectDomainEventDeregisterAny(ConnectionPointer conn, int callbackId);

        /** {@code virDomainGetName}: owned by the domain object (no call to the daemon). */
        String virDomainGetName(Pointer dom);

        /** {@code virDomainLookupByUUIDString}: a domain the caller frees, or NULL. */
        Pointer virDomainLookupByUUIDString(ConnectionPointer conn, String uuid);

        /** {@code virDomainFree}: 0 on success, -1 on error. */
        int virDomainFree(Pointer dom);

        /**
         * {@code virDomainBlockRebase} (libvirt 0.9.10): starts a block job on a running domain's disk; with no
         * flags, a pull of the images above {@code base} (NULL: all of them) into the active layer. 0 on success.
         */
        int virDomainBlockRebase(Pointer dom, String disk, String base, com.sun.jna.NativeLong bandwidth, int flags);

        /**
         * {@code virConnectCompareHypervisorCPU} (libvirt 4.4): whether the hypervisor can give a guest the CPU
         * {@code xmlCPU} describes: -1 error, 0 incompatible, 1 identical, 2 superset. NULL arguments: defaults.
         */
        int virConnectCompareHypervisorCPU(ConnectionPointer conn, String emulator, String arch, String machine,
                                           String virttype, String xmlCPU, int flags);
    }

    /** {@code virConnectDomainEventBlockJobCallback}: called on libvirt's event loop thread. */
    public interface BlockJobCallback extends com.sun.jna.Callback {
        /**
         * @param disk the disk's target name ({@code vda}), as {@code BLOCK_JOB_2} reports it
         * @param type the job type ({@code virDomainBlockJobType})
         * @param status {@code virConnectDomainEventBlockJobStatus}: 0 completed, 1 failed, 2 canceled, 3 ready
         */
        void invoke(Pointer conn, Pointer dom, String disk, int type, int status, Pointer opaque);
    }

    /** {@code VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2} (libvirt 1.2.6): block-job events naming the disk by its target. */
    public static final int EVENT_ID_BLOCK_JOB_2 = 16;

    /**
     * Registers {@code cb} for the block-job events of every domain on the connection (one registration, whatever
     * the number of domains and disks). Keep {@code cb} reachable until it is deregistered.
     *
     * @return the callback id
     */
    public static int registerBlockJobEvents(Connect conn, BlockJobCallback cb) {
        int id = Holder.VIRT.virConnectDomainEventRegisterAny(esm(conn).pointer(), null, EVENT_ID_BLOCK_JOB_2, cb,
                null, null);
        if (id < 0) {
            throw lastError("registering for block-job events");
        }
        return id;
    }

    /** Deregisters a callback {@link #registerBlockJobEvents} registered. */
    public static void deregisterEvents(Connect conn, int callbackId) {
        if (Holder.VIRT.virConnectDomainEventDeregisterAny(esm(conn).pointer(), callbackId) != 0) {
            throw lastError("deregistering block-job events");
        }
    }

    /** @return the name of the domain an event names (valid during the callback only) */
    public static String domainName(Pointer dom) {
        return Holder.VIRT.virDomainGetName(dom);
    }

    /**
     * {@code virDomainBlockRebase} on {@code d}'s {@code disk} with no bandwidth limit: starts the job and returns
     * (libvirt-java 0.5.4 has no copy). The call is made on a handle of the domain's own, looked up by UUID on the
     * connection {@code d} came from (ESM's), and freed before this returns.
     *
     * @param base the image that is to become the active layer's backing image, by its path or a chain index
     *             ({@code vda[2]}); null pulls the whole chain
     * @param flags {@code virDomainBlockRebaseFlags} ({@link LibvirtFlags#BLOCK_REBASE_PULL} for a pull)
     * @throws dev.esm.api.errors.HypervisorException with libvirt's code and message when libvirt refuses
     */
    public static void blockRebase(org.libvirt.Domain d, String disk, String base, int flags)
            throws LibvirtException {
        String doing = "starting a block job on disk " + disk + " of domain '" + d.getName() + "' (base " + base + ")";
        Pointer dom = Holder.VIRT.virDomainLookupByUUIDString(esm(d.getConnect()).pointer(), d.getUUIDString());
        if (dom == null) {
            throw lastError(doing);
        }
        try {
            if (Holder.VIRT.virDomainBlockRebase(dom, disk, base, new com.sun.jna.NativeLong(0), flags) != 0) {
                throw lastError(doing);
            }
        } finally {
            Holder.VIRT.virDomainFree(dom);
        }
    }

    /**
     * {@code virConnectCompareHypervisorCPU} with {@link LibvirtFlags#COMPARE_CPU_FAIL_INCOMPATIBLE}.
     *
     * @return libvirt's reason when the hypervisor of {@code conn}'s host cannot give a guest that CPU; empty when it
     *         can, or when the library or the daemon is too old to tell (the migration then checks it)
     * @throws dev.esm.api.errors.HypervisorException for another error, with libvirt's code and message
     */
    public static java.util.Optional<String> cpuRefusal(Connect conn, String arch, String machine, String virtType,
                                                        String cpuXml) {
        int r;
        try {
            r = Holder.VIRT.virConnectCompareHypervisorCPU(esm(conn).pointer(), null, arch, machine, virtType,
                    cpuXml, LibvirtFlags.COMPARE_CPU_FAIL_INCOMPATIBLE);
        } catch (UnsatisfiedLinkError old) {
            return java.util.Optional.empty();
        }
        if (r >= 0) {
            return r == 0 ? java.util.Optional.of("the CPU is incompatible with the host's") : java.util.Optional.empty();
        }
        dev.esm.api.errors.HypervisorException e = lastError("comparing a guest CPU with the hypervisor's");
        if (e.code() == org.libvirt.Error.ErrorNumber.VIR_ERR_CPU_INCOMPATIBLE.ordinal()) {
            return java.util.Optional.of(e.hypervisorMessage());
        }
        if (e.code() == org.libvirt.Error.ErrorNumber.VIR_ERR_NO_SUPPORT.ordinal()) {
            return java.util.Optional.empty();
        }
        throw e;
    }

    /** libvirt's last error on this thread, as ESM's exception. */
    private static dev.esm.api.errors.HypervisorException lastError(String doing) {
        String message = Holder.VIRT.virGetLastErrorMessage();
        int code = Holder.VIRT.virGetLastErrorCode();
        String name = code >= 0 && code < org.libvirt.Error.ErrorNumber.values().length
                ? org.libvirt.Error.ErrorNumber.values()[code].name() : "UNKNOWN";
        return new dev.esm.api.errors.HypervisorException(doing + " failed", code, name, message, null);
    }

    private static EsmConnect esm(Connect conn) {
        if (!(conn instanceof EsmConnect c)) {
            throw new IllegalStateException("this connection was not opened by ESM (NativeLibvirt.EsmConnect)");
        }
        return c;
    }

    /**
     * {@code virDomainRestoreFlags}: starts the domain saved in {@code file}, with {@code dxml} in place of the
     * definition saved there. The file is only read.
     */
    public static void restore(Connect conn, String file, String dxml, int flags) {
        if (Holder.VIRT.virDomainRestoreFlags(esm(conn).pointer(), file, dxml, flags) != 0) {
            throw lastError("restoring a domain from " + file);
        }
    }

    /** {@code virDomainSaveImageGetXMLDesc}: the domain XML saved in a save (memory) file; the file is only read. */
    public static String savedDomainXml(Connect conn, String file, int flags) {
        Pointer p = Holder.VIRT.virDomainSaveImageGetXMLDesc(esm(conn).pointer(), file, flags);
        if (p == null) {
            throw lastError("reading the domain definition saved in " + file);
        }
        try {
            return p.getString(0, "UTF-8");
        } finally {
            Native.free(Pointer.nativeValue(p));
        }
    }

    private static final class Holder {
        public static final Virt VIRT = Native.load("virt", Virt.class);
    }

    /** A libvirt-java connection whose pointer ESM's own bindings may use. */
    public static final class EsmConnect extends Connect {
        public EsmConnect(String uri) throws LibvirtException {
            super(uri, false);
        }

        public ConnectionPointer pointer() {
            return vcp;
        }
    }

    /**
     * @return the name of the storage pool whose target path is {@code folder}, or null when there is none (or
     *         the library is older than 4.1)
     */
    public static String poolNameByTargetPath(Connect conn, String folder) {
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
