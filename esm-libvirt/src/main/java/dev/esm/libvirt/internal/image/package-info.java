/**
 * qcow2 inspection shared by both image stores: headers read, made and rewritten in process ({@link dev.esm.libvirt.internal.image.Qcow2}), and the JSON reader for {@code qemu-img info} ({@link dev.esm.libvirt.internal.image.JsonValue}).
 *
 * <p>Internal: no compatibility promise. Public only so that the other packages of esm-libvirt can use it; applications
 * use {@code dev.esm.api}.
 */
package dev.esm.libvirt.internal.image;
