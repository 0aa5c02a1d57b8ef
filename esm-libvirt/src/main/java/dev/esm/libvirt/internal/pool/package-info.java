/**
 * Images on a remote host through libvirt's storage API only: {@link dev.esm.libvirt.internal.pool.PoolStorage}, with the pool registry and handle cache ({@link dev.esm.libvirt.internal.pool.PoolRegistry}), the checksummed copier, overlay creation, image reads, volume helpers and the state folder's pool ({@link dev.esm.libvirt.internal.pool.StatePool}).
 *
 * <p>Internal: no compatibility promise. Public only so that the other packages of esm-libvirt can use it; applications
 * use {@code dev.esm.api}.
 */
package dev.esm.libvirt.internal.pool;
