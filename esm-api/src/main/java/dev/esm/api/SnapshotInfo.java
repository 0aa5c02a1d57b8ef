package dev.esm.api;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A snapshot together with its images' sizes; see {@link DomainSnapshots#info(String)}.
 *
 * @param snapshot the snapshot
 * @param images the frozen image of each disk, with sizes
 * @param memorySize for a memory snapshot, the bytes its memory file ({@link Snapshot#memoryFile()}) takes;
 *                   empty for a disk-only snapshot
 */
public record SnapshotInfo(Snapshot snapshot, List<ImageInfo> images, OptionalLong memorySize) {
    /**
     * Checks the components and keeps immutable copies of the collections.
     *
     * @param snapshot the snapshot
     * @param images the frozen image of each disk, with sizes
     * @param memorySize for a memory snapshot, the bytes its memory file ({@link Snapshot#memoryFile()}) takes; empty
     *        for a disk-only snapshot
     */
    public SnapshotInfo {
        images = List.copyOf(images);
        Objects.requireNonNull(memorySize, "memorySize");
    }

    /**
     * A snapshot without memory state.
     *
     * @param snapshot the snapshot
     * @param images the frozen image of each disk, with sizes
     */
    public SnapshotInfo(Snapshot snapshot, List<ImageInfo> images) {
        this(snapshot, images, OptionalLong.empty());
    }

    /** @return the bytes all its frozen images take on the host (the memory file not included) */
    public long actualSize() {
        return images.stream().mapToLong(ImageInfo::actualSize).sum();
    }
}
