package dev.esm.api;

import java.util.List;

/**
 * A snapshot together with its images' sizes; see {@link DomainSnapshots#info(String)}.
 *
 * @param snapshot the snapshot
 * @param images the frozen image of each disk, with sizes
 */
public record SnapshotInfo(Snapshot snapshot, List<ImageInfo> images) {
    public SnapshotInfo {
        images = List.copyOf(images);
    }

    /** @return the bytes all its frozen images take on the host */
    public long actualSize() {
        return images.stream().mapToLong(ImageInfo::actualSize).sum();
    }
}
