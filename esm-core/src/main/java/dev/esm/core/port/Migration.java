package dev.esm.core.port;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A live migration of a running domain to another host whose disks' backing chains are there already: only the
 * active layers are copied (onto empty overlays made there), the domain is defined there with its files' paths on
 * that host, and removed here.
 *
 * @param to the other host, as its own {@link Host#migrationTarget()} names it
 * @param disks the targets of the disks whose active layers are copied
 * @param moved each file's path here to its path there (the definitions are rewritten with it)
 * @param address the address QEMU on this host reaches the other host's QEMU at (its migration and disk streams);
 *                empty for libvirt's default, the other host's name
 * @param paused leave the domain paused there (the caller resumes it), rather than running as it ran here
 */
public record Migration(Target to, List<String> disks, Map<String, String> moved, Optional<String> address,
                        boolean paused) {
    public Migration {
        Objects.requireNonNull(to, "to");
        disks = List.copyOf(disks);
        moved = Map.copyOf(moved);
        Objects.requireNonNull(address, "address");
    }

    /**
     * The host a migration goes to, opaque to the engine: made by that host's own port, read by the port of the host
     * the domain leaves (the same adapter), which drives the migration with both connections.
     */
    public interface Target {
        /** @return the other host's URI, for messages */
        String uri();
    }
}
