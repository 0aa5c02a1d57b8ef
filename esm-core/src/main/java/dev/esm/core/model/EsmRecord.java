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
 */
public record EsmRecord(Optional<String> disksDir, List<DiskImage> base, Instant frozenAt) {
    public EsmRecord {
        Objects.requireNonNull(disksDir, "disksDir");
        base = List.copyOf(base);
        Objects.requireNonNull(frozenAt, "frozenAt");
    }

    /** @return the base image of a disk, if recorded */
    public Optional<DiskImage> baseImage(String target) {
        return base.stream().filter(i -> i.target().equals(target)).findFirst();
    }
}
