package dev.esm.api;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One step of a {@link Plan}: its kind and a sentence for people, and what a program needs to read without
 * parsing the sentence: the snapshot and disk it concerns and the files it names.
 *
 * @param kind what kind of step it is
 * @param description what it does, for people, naming the files and snapshots involved
 * @param snapshot the snapshot the step concerns (created, redefined, removed, restored), if any
 * @param disk the disk's target ({@code vda}) when the step concerns one disk
 * @param paths the files and folders the step names, the one it makes or changes first: for
 *              {@link StepKind#CREATE_OVERLAY} the overlay then its backing image, for {@link StepKind#MOVE_IMAGE}
 *              the new path then the old one, for {@link StepKind#MERGE} the top image then the base it is merged
 *              into, for {@link StepKind#REBASE} the image then its new backing image; for definitions, the images
 *              the disks are given
 * @param bytes for a {@link StepKind#MERGE} in a plan from {@link Command#plan()}: the most bytes the merge copies
 *              (the allocation of the images above the base); empty when unknown or not a merge
 */
public record PlanStep(StepKind kind, String description, Optional<String> snapshot, Optional<String> disk,
                       List<String> paths, OptionalLong bytes) {
    /**
     * Checks the components and keeps an immutable copy of the paths.
     *
     * @param kind what kind of step it is
     * @param description what it does, for people, naming the files and snapshots involved
     * @param snapshot the snapshot the step concerns (created, redefined, removed, restored), if any
     * @param disk the disk's target ({@code vda}) when the step concerns one disk
     * @param paths the files and folders the step names, the one it makes or changes first: for {@link
     *        StepKind#CREATE_OVERLAY} the overlay then its backing image, for {@link StepKind#MOVE_IMAGE} the new
     *        path then the old one, for {@link StepKind#MERGE} the top image then the base it is merged into, for
     *        {@link StepKind#REBASE} the image then its new backing image; for definitions, the images the disks are
     *        given
     * @param bytes for a {@link StepKind#MERGE} in a plan from {@link Command#plan()}: the most bytes the merge
     *        copies (the allocation of the images above the base); empty when unknown or not a merge
     * @throws NullPointerException if a component is null
     */
    public PlanStep {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(disk, "disk");
        paths = List.copyOf(paths);
        Objects.requireNonNull(bytes, "bytes");
    }

    /**
     * A step known by its kind and sentence only.
     *
     * @param kind what kind of step it is
     * @param description what it does, for people
     */
    public PlanStep(StepKind kind, String description) {
        this(kind, description, Optional.empty(), Optional.empty(), List.of(), OptionalLong.empty());
    }

    /**
     * @param count the bytes the step copies at most
     * @return this step with its byte count
     */
    public PlanStep withBytes(long count) {
        return new PlanStep(kind, description, snapshot, disk, paths, OptionalLong.of(count));
    }

    @Override
    public String toString() {
        return kind + ": " + description;
    }
}
