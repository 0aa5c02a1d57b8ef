/**
 * Images and state on this machine: {@link dev.esm.libvirt.internal.local.LocalStorage} (java.nio, with {@code qemu-img} run by {@link dev.esm.libvirt.internal.local.QemuImg} for offline commit and image info), {@link dev.esm.libvirt.internal.local.LocalState} (journals and lock files), child processes and file allocation.
 *
 * <p>Internal: no compatibility promise. Public only so that the other packages of esm-libvirt can use it; applications
 * use {@code dev.esm.api}.
 */
package dev.esm.libvirt.internal.local;
