package dev.esm.core.model;

import dev.esm.api.DiskImage;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotState;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One libvirt domain snapshot, parsed.
 *
 * @param name its name
 * @param parent its parent's name; empty for a snapshot taken on the base
 * @param creationTime when it was taken
 * @param description its description, empty if none
 * @param state the domain's state when it was taken
 * @param images the frozen image of each disk that took part (the disk sources of the domain definition
 *               libvirt saved with the snapshot)
 * @param xml the document it was parsed from, as libvirt returned it (for redefinition)
 * @param memoryFile the external memory file of a snapshot with memory state; empty for a disk-only one
 */
public record SnapshotDefinition(String name, Optional<String> parent, Instant creationTime, String description,
                                 SnapshotState state, List<DiskImage> images, String xml, Optional<String> memoryFile) {
    public SnapshotDefinition {
        Objects.requireNonNull(name, "name");
        images = List.copyOf(images);
        Objects.requireNonNull(memoryFile, "memoryFile");
    }

    /** A snapshot without memory state. */
    public SnapshotDefinition(String name, Optional<String> parent, Instant creationTime, String description,
                              SnapshotState state, List<DiskImage> images, String xml) {
        this(name, parent, creationTime, description, state, images, xml, Optional.empty());
    }

    /** @return the API's view */
    public Snapshot toApi() {
        return new Snapshot(name, parent, creationTime, description, state, images, false, memoryFile);
    }

    /** @return the frozen image of a disk, if this snapshot has one */
    public Optional<DiskImage> image(String target) {
        return images.stream().filter(i -> i.target().equals(target)).findFirst();
    }
}
