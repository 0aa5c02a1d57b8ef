/**
 * ESM over libvirt: {@link dev.esm.libvirt.LibvirtHost} implements ESM's port with libvirt-java (and JNA where it
 * falls short), {@link dev.esm.libvirt.internal.local.LocalStorage} the file operations on the local host (with
 * {@code qemu-img} only where libvirt has no API: overlay creation with an explicit backing format, image info).
 * Applications do not use this package directly: {@link dev.esm.api.SnapshotManager#connect(String)} finds it.
 */
package dev.esm.libvirt;
