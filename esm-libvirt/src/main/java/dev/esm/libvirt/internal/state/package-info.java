/**
 * ESM's state on a remote host: {@link dev.esm.libvirt.internal.state.PoolState} (the state store), journals in domain definitions ({@link dev.esm.libvirt.internal.state.DomainJournals}), journal slots ({@link dev.esm.libvirt.internal.state.HostState}) and fenced leases ({@link dev.esm.libvirt.internal.state.VolumeLeases}, {@link dev.esm.libvirt.internal.state.HeldLease}).
 *
 * <p>Internal: no compatibility promise. Public only so that the other packages of esm-libvirt can use it; applications
 * use {@code dev.esm.api}.
 */
package dev.esm.libvirt.internal.state;
