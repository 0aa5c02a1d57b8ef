package dev.esm.api;

import java.util.List;
import java.util.Objects;

/**
 * What one {@link ReplicateCommand} or {@link MoveCommand} sent.
 *
 * @param domain the domain
 * @param target the URI of the host it went to
 * @param copied the files copied, as the target names them
 * @param kept the files the target already held (the same snapshot's image, size and checksum), not copied again
 * @param removed the files removed from the target as their snapshots are gone here
 * @param bytes how many bytes were copied
 * @param snapshots how many snapshots the target's domain has
 */
public record Replication(String domain, String target, List<String> copied, List<String> kept, List<String> removed,
                          long bytes, int snapshots) {
    /**
     * Checks the components and keeps immutable copies of the lists.
     *
     * @param domain the domain
     * @param target the URI of the host it went to
     * @param copied the files copied
     * @param kept the files not copied again
     * @param removed the files removed from the target
     * @param bytes how many bytes were copied
     * @param snapshots how many snapshots the target's domain has
     */
    public Replication {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(target, "target");
        copied = List.copyOf(copied);
        kept = List.copyOf(kept);
        removed = List.copyOf(removed);
    }
}
