/**
 * The benchmark: ESM's operations in-process against the libvirt floor (the same libvirt calls made raw through
 * libvirt-java), the shell process chain ({@code virsh} and {@code qemu-img}), and internal snapshots; merge
 * throughput; cost against chain length. Run {@code scripts/bench.sh} (or {@code --smoke} for a quick pass).
 * Speed is reported, never asserted.
 */
package dev.esm.bench;
