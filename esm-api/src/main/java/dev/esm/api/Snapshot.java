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
 * @param memoryFile for a memory snapshot ({@link CreateCommand#memory()}): the file on the domain's host that
 *                   holds its RAM and device state; empty for a disk-only snapshot and the base
 */
public record Snapshot(String name, Optional<String> parent, Instant creationTime, String description,
                       SnapshotState state, List<DiskImage> images, boolean isBase, Optional<String> memoryFile) {
    /**
     * Checks the components and keeps immutable copies of the collections.
     *
     * @param name the snapshot's name, or {@value DomainSnapshots#BASE}
     * @param parent the snapshot that was current when this one was taken; empty for a snapshot taken on the base,
     *        and for the base itself
     * @param creationTime when it was taken (for the base: when it was frozen, if known, else the epoch)
     * @param description the free-text description, empty if none
     * @param state the domain's state when it was taken
     * @param images the frozen image of each disk, in the domain's disk order
     * @param isBase whether this is the base pseudo-snapshot
     * @param memoryFile for a memory snapshot ({@link CreateCommand#memory()}): the file on the domain's host that
     *        holds its RAM and device state; empty for a disk-only snapshot and the base
     */
    public Snapshot {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(creationTime, "creationTime");
        description = description == null ? "" : description;
        Objects.requireNonNull(state, "state");
        images = List.copyOf(images);
        Objects.requireNonNull(memoryFile, "memoryFile");
    }

    /**
     * A snapshot without memory state (disk-only, or the base).
     *
     * @param name the snapshot's name, or {@value DomainSnapshots#BASE}
     * @param parent the snapshot that was current when this one was taken; empty for a snapshot taken on the base,
     *        and for the base itself
     * @param creationTime when it was taken (for the base: when it was frozen, if known, else the epoch)
     * @param description the free-text description, empty if none
     * @param state the domain's state when it was taken
     * @param images the frozen image of each disk, in the domain's disk order
     * @param isBase whether this is the base pseudo-snapshot
     */
    public Snapshot(String name, Optional<String> parent, Instant creationTime, String description,
                    SnapshotState state, List<DiskImage> images, boolean isBase) {
        this(name, parent, creationTime, description, state, images, isBase, Optional.empty());
    }

    /**
     * @return whether the snapshot holds the domain's memory and device state too, so that it can be reverted
     *         to a running or paused domain ({@link RevertCommand#running()})
     */
    public boolean hasMemory() {
        return memoryFile.isPresent();
    }

    /**
     * @param target a disk's target device, e.g. {@code vda}
     * @return this snapshot's frozen image of that disk, if it has one
     */
    public Optional<DiskImage> image(String target) {
        return images.stream().filter(i -> i.target().equals(target)).findFirst();
    }
}
