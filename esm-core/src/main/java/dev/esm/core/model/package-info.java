/**
 * ESM's model of a domain: its disks, its snapshots, ESM's own record, and the snapshot tree built from them
 * ({@link dev.esm.core.model.SnapshotTree}). Immutable values; no I/O.
 */
package dev.esm.core.model;
