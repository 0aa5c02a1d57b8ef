package dev.esm.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One snapshot: a named, immutable point in time across all eligible disks of a domain. The base images are
 * shown as a snapshot named {@value DomainSnapshots#BASE} with {@link #isBase()} true.
 *
 * @param name the snapshot's name, or {@value DomainSnapshots#BASE}
 * @param parent the snapshot that was current when this one was taken; empty for a snapshot taken on the
 *               base, and for the base itself
 * @param creationTime when it was taken (for the base: when it was frozen, if known, else the epoch)
 * @param description the free-text description, empty if none
 * @param state the domain's state when it was taken
 * @param images the frozen image of each disk, in the domain's disk order
 * @param isBase whether this is the base pseudo-snapshot
 */
public record Snapshot(String name, Optional<String> parent, Instant creationTime, String description,
                       SnapshotState state, List<DiskImage> images, boolean isBase) {
    public Snapshot {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(creationTime, "creationTime");
        description = description == null ? "" : description;
        Objects.requireNonNull(state, "state");
        images = List.copyOf(images);
    }

    /**
     * @param target a disk's target device, e.g. {@code vda}
     * @return this snapshot's frozen image of that disk, if it has one
     */
    public Optional<DiskImage> image(String target) {
        return images.stream().filter(i -> i.target().equals(target)).findFirst();
    }
}
