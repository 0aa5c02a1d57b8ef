package dev.esm.core.model;

import dev.esm.api.DiskImage;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * ESM's own record of a domain, kept in the domain's {@code <metadata>} under ESM's namespace: the folder
 * setup made (if any) and the frozen base images.
 *
 * @param disksDir the {@code disks} folder made by setup; empty when the domain was never set up
 * @param base the frozen base image of each eligible disk
 * @param frozenAt when the base was frozen
 * @param unnamed images that no snapshot names any more but that others stand on (kept by a delete where
 *                merging would have meant copying them into several children)
 */
public record EsmRecord(Optional<String> disksDir, List<DiskImage> base, Instant frozenAt, List<DiskImage> unnamed) {
    public EsmRecord {
        Objects.requireNonNull(disksDir, "disksDir");
        base = List.copyOf(base);
        Objects.requireNonNull(frozenAt, "frozenAt");
        unnamed = List.copyOf(unnamed);
    }

    /** A record without unnamed images. */
    public EsmRecord(Optional<String> disksDir, List<DiskImage> base, Instant frozenAt) {
        this(disksDir, base, frozenAt, List.of());
    }

    /** @return this record with another list of unnamed images */
    public EsmRecord withUnnamed(List<DiskImage> images) {
        return new EsmRecord(disksDir, base, frozenAt, images);
    }

    /** @return the base image of a disk, if recorded */
    public Optional<DiskImage> baseImage(String target) {
        return base.stream().filter(i -> i.target().equals(target)).findFirst();
    }
}
