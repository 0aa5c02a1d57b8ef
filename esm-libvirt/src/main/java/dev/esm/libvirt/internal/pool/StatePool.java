package dev.esm.libvirt.internal.pool;

import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;

/**
 * The storage pool over ESM's state folder on a host reached through libvirt's storage API, as the state store's
 * parts ({@link dev.esm.libvirt.internal.state.HostState}'s journal volumes, {@link dev.esm.libvirt.internal.state.VolumeLeases}) use it: calls on its handle on the operations'
 * connection, its name (to find it on another connection) and its folder. Made by {@link PoolStorage}, which keeps
 * the pools.
 */
public interface StatePool {
    /** @return what {@code call} returns on the state pool's handle; libvirt's failures as a StorageException */
    <T> T call(String doing, PoolCall<T> call);

    /** @return the state pool's name */
    String name();

    /** @return the state folder on the host (made, with its pool, if missing) */
    String folder();

    /** A call on a pool handle. */
    @FunctionalInterface
    interface PoolCall<T> {
        T apply(StoragePool pool) throws LibvirtException;
    }
}
