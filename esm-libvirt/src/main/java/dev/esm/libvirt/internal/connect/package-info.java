/**
 * Connections to libvirt: the connection pool with domain affinity ({@link dev.esm.libvirt.internal.connect.ConnectionPool}), calls on domains by name on kept handles ({@link dev.esm.libvirt.internal.connect.DomainCalls}, {@link dev.esm.libvirt.internal.connect.DomainHandles}), libvirt's event loop, the JNA calls libvirt-java lacks ({@link dev.esm.libvirt.internal.connect.NativeLibvirt}), flags and error translation.
 *
 * <p>Internal: no compatibility promise. Public only so that the other packages of esm-libvirt can use it; applications
 * use {@code dev.esm.api}.
 */
package dev.esm.libvirt.internal.connect;
