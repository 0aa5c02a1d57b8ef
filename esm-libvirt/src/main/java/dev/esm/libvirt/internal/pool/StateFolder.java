package dev.esm.libvirt.internal.pool;

import dev.esm.api.errors.StorageException;
import dev.esm.core.xml.Xml;
import dev.esm.libvirt.internal.connect.LibvirtFlags;
import java.util.Optional;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * {@link PoolStorage}'s state folder on the host (journals too large for a domain's definition, and leases) and the
 * pool over it ({@link StatePool}): an existing pool over the folder, else a transient pool named {@code esm-state}
 * that libvirt builds (mode 0700), both made at the first use.
 *
 * <p>Thread-safety: thread-safe; {@link PoolRegistry} is, and two first uses at once may both make the pool (the
 * second finds the first's).
 */
final class StateFolder implements StatePool {
    private static final String STATE_POOL = "esm-state";

    private final Connect conn;
    private final PoolRegistry pools;
    private final String stateDir;

    /**
     * @param conn the connection the pool is made on
     * @param pools the pools over folders
     * @param stateDir the host's folder for journals and leases
     */
    StateFolder(Connect conn, PoolRegistry pools, String stateDir) {
        this.conn = conn;
        this.pools = pools;
        this.stateDir = stateDir;
    }

    @Override
    public <T> T call(String doing, StatePool.PoolCall<T> call) {
        return pools.inPool(folder(), doing, call::apply);
    }

    @Override
    public String name() {
        return pools.requirePool(folder());
    }

    /** @return the host's state folder, with a pool over it (both made if missing) */
    @Override
    public String folder() {
        if (!pools.knows(stateDir)) {
            Optional<String> existing = pools.findPool(stateDir);
            if (existing.isEmpty()) {
                String xml = "<pool type='dir'><name>" + STATE_POOL + "</name><target><path>" + Xml.escape(stateDir)
                        + "</path><permissions><mode>0700</mode></permissions></target></pool>";
                try {
                    conn.storagePoolCreateXML(xml, LibvirtFlags.POOL_CREATE_WITH_BUILD).free();
                } catch (LibvirtException e) {
                    if (pools.findPool(stateDir).isEmpty()) {
                        throw new StorageException("cannot make ESM's state folder " + stateDir + " on the host"
                                + " (libvirt: " + e.getMessage() + "); choose a folder libvirt may create with"
                                + " SnapshotManager.builder(uri).hostStateDirectory(..) (-Desm.hostStateDir)", e);
                    }
                }
            }
            pools.pool(stateDir, false);
        }
        return stateDir;
    }
}
