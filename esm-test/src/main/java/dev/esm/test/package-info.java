/**
 * ESM's test kit: {@link dev.esm.test.EsmTest#inMemory()} gives a {@link dev.esm.api.SnapshotManager} on an
 * in-memory host ({@link dev.esm.test.InMemoryEsm}), so that code which uses ESM can be unit-tested without libvirt,
 * QEMU or disk images. Domains are defined in a line, a guest's writes are simulated as patterns in a disk's first
 * block, and everything ESM does (setup, create, revert, refresh, delete, commit, memory snapshots, recovery,
 * verify) runs as on libvirt, by the same engine.
 */
package dev.esm.test;
