/**
 * Service provider interface: how {@link dev.esm.api.SnapshotManager#connect(String)} finds an implementation
 * (esm-libvirt registers one through {@link java.util.ServiceLoader}). Applications do not use it.
 */
package dev.esm.api.spi;
