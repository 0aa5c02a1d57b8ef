package dev.esm.core.plan;

import dev.esm.api.DiskImage;
import dev.esm.api.PlanStep;
import dev.esm.api.StepKind;
import dev.esm.core.model.EsmRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/** One step of a plan: data only; the executor runs it through the port. */
public sealed interface Step {

    /** @return the step as the API shows it */
    PlanStep describe();

    /** @return a described step with its details */
    private static PlanStep step(StepKind kind, String description, Optional<String> snapshot, Optional<String> disk,
                                 List<String> paths) {
        return new PlanStep(kind, description, snapshot, disk, paths, OptionalLong.empty());
    }

    /** @return a step that copies a firmware state {@code file} to a snapshot's {@code copy} (written first) */
    private static PlanStep save(StepKind kind, String what, String snapshot, String file, String copy) {
        return step(kind, "copy " + what + " " + file + " to " + copy, Optional.of(snapshot), Optional.empty(),
                List.of(copy, file));
    }

    /** @return a step that puts a snapshot's {@code copy} back in a firmware state {@code file} (written first) */
    private static PlanStep restore(StepKind kind, String what, String snapshot, String copy, String file,
                                    String note) {
        return step(kind, "put " + what + " of '" + snapshot + "' (" + copy + ", only read) back in " + file + note,
                Optional.of(snapshot), Optional.empty(), List.of(file, copy));
    }

    /** @return the images a definition gives its disks, in target order */
    private static List<String> pathsOf(Map<String, DiskImage> sources) {
        return sources.values().stream().sorted(java.util.Comparator.comparing(DiskImage::target))
                .map(DiskImage::path).toList();
    }

    /** Power the domain off. */
    record StopDomain() implements Step {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.STOP_DOMAIN, "power the running domain off (its unsaved state is discarded)");
        }
    }

    /** Create a folder. */
    record MakeDirectory(String path) implements Step {
        @Override
        public PlanStep describe() {
            return step(StepKind.MAKE_DIRECTORY, "create folder " + path, Optional.empty(), Optional.empty(),
                    List.of(path));
        }
    }

    /** Give an image its new name (hard link or verified copy); the old name is removed by a later step. */
    record MoveImage(String from, String to) implements Step {
        @Override
        public PlanStep describe() {
            return step(StepKind.MOVE_IMAGE, "place " + from + " at " + to
                    + " (hard link, or fsynced and verified copy; the original is removed only at the end)",
                    Optional.empty(), Optional.empty(), List.of(to, from));
        }
    }

    /**
     * Create an empty overlay; {@code pulledLater} when its chain is at the depth limit, so that the next snapshot on
     * it pulls into it ({@link DepthLimit}; a storage may lay such an overlay out differently).
     */
    record CreateOverlay(String path, DiskImage backing, boolean pulledLater) implements Step {
        /** An overlay no pull is planned into. */
        public CreateOverlay(String path, DiskImage backing) {
            this(path, backing, false);
        }

        @Override
        public PlanStep describe() {
            return step(StepKind.CREATE_OVERLAY, "create overlay " + path + " for " + backing.target()
                    + " on " + backing.path() + " (" + backing.format().id() + ")", Optional.empty(),
                    Optional.of(backing.target()), List.of(path, backing.path()));
        }
    }

    /**
     * Ask libvirt to take the snapshot on the prepared overlays; with {@code memoryFile}, the domain's memory and
     * device state too (the guest paused meanwhile).
     */
    record CreateSnapshot(String name, String xml, boolean live, boolean quiesce, List<DiskImage> overlays,
                          Optional<String> memoryFile) implements Step {
        /** A disk-only snapshot. */
        public CreateSnapshot(String name, String xml, boolean live, boolean quiesce, List<DiskImage> overlays) {
            this(name, xml, live, quiesce, overlays, Optional.empty());
        }

        @Override
        public PlanStep describe() {
            List<String> paths = new java.util.ArrayList<>(overlays.stream().map(DiskImage::path).toList());
            memoryFile.ifPresent(paths::add);
            return step(StepKind.CREATE_SNAPSHOT, (live ? "live" : "offline") + " external snapshot '" + name
                    + "' of " + overlays.stream().map(DiskImage::target).collect(Collectors.joining(", "))
                    + ", all disks at once" + (quiesce ? ", guest file systems frozen" : "")
                    + memoryFile.map(m -> ", with the memory and device state saved to " + m
                            + " (the guest paused meanwhile)").orElse(""), Optional.of(name), Optional.empty(), paths);
        }
    }

    /** Redefine the domain's persistent definition, read at the time the step runs. */
    record DefineDomain(Map<String, DiskImage> sources, Optional<EsmRecord> record) implements Step {
        public DefineDomain {
            sources = Map.copyOf(sources);
        }

        @Override
        public PlanStep describe() {
            StringBuilder b = new StringBuilder("define the domain");
            if (!sources.isEmpty()) {
                b.append(" with ").append(sources.values().stream()
                        .map(i -> i.target() + " -> " + i.path()).sorted().collect(Collectors.joining(", ")));
            }
            record.ifPresent(r -> b.append(sources.isEmpty() ? " with" : " and").append(" ESM's record (base: ")
                    .append(r.base().stream().map(DiskImage::path).collect(Collectors.joining(", "))).append(")"));
            return step(StepKind.DEFINE_DOMAIN, b.toString(), Optional.empty(), Optional.empty(), pathsOf(sources));
        }
    }

    /** Make a snapshot libvirt's current one. */
    record SetCurrent(String name) implements Step {
        @Override
        public PlanStep describe() {
            return step(StepKind.REDEFINE_SNAPSHOT, "make '" + name + "' libvirt's current snapshot", Optional.of(name),
                    Optional.empty(), List.of());
        }
    }

    /**
     * Make libvirt's metadata say that no snapshot is current (the base is). libvirt has no call for this: removing
     * the metadata of a current snapshot makes its parent current, so the step makes a root snapshot current,
     * removes that root's metadata (leaving none current) and adds the root and its children back unchanged.
     */
    record ClearCurrent(String root, List<String> rootChildren) implements Step {
        @Override
        public PlanStep describe() {
            return step(StepKind.CLEAR_CURRENT, "make libvirt's metadata say no snapshot is current (through"
                    + " root snapshot '" + root + "', re-added unchanged" + (rootChildren.isEmpty() ? "" : " with its"
                    + " children " + rootChildren) + ")", Optional.of(root), Optional.empty(), List.of());
        }
    }

    /**
     * Merge {@code top} (and every image between) into {@code base}: a libvirt block commit on the running
     * domain when {@code live} (pivoting onto {@code base} when {@code top} is the active layer), else
     * {@code qemu-img commit}.
     */
    record Merge(String disk, DiskImage top, DiskImage base, boolean live, boolean activeLayer) implements Step {
        @Override
        public PlanStep describe() {
            return step(StepKind.MERGE, (live ? "live block commit" : "offline commit") + " of " + disk + ": "
                    + top.path() + " into " + base.path() + (activeLayer && live ? ", then pivot onto it" : ""),
                    Optional.empty(), Optional.of(disk), List.of(top.path(), base.path()));
        }
    }

    /**
     * Pull into {@code image} the data of the images between it and {@code anchor}, which becomes its backing image
     * ({@link DepthLimit}): a libvirt block pull on the running domain when {@code live} ({@code image} is then the
     * disk's active layer), else an offline pull. What {@code image} shows does not change; no other image is
     * written.
     */
    record Pull(String disk, DiskImage image, DiskImage anchor, boolean live) implements Step {
        @Override
        public PlanStep describe() {
            return step(StepKind.PULL, (live ? "live block pull" : "offline pull") + " of " + disk + ": the data of the"
                    + " images between " + image.path() + " and " + anchor.path() + " into " + image.path()
                    + ", which then stands on " + anchor.path() + " (its content unchanged, the chain shorter)",
                    Optional.empty(), Optional.of(disk), List.of(image.path(), anchor.path()));
        }
    }

    /** Point an image at a new backing image with the same content (header only). */
    record Rebase(String image, DiskImage newBacking) implements Step {
        @Override
        public PlanStep describe() {
            return step(StepKind.REBASE, "point " + image + " at " + newBacking.path()
                    + " (same content, header only)", Optional.empty(), Optional.of(newBacking.target()),
                    List.of(image, newBacking.path()));
        }
    }

    /** Point a snapshot's metadata at new frozen images. */
    record RewriteSnapshotImages(String name, Map<String, DiskImage> images) implements Step {
        public RewriteSnapshotImages {
            images = Map.copyOf(images);
        }

        @Override
        public PlanStep describe() {
            return step(StepKind.REDEFINE_SNAPSHOT, "redefine '" + name + "' with " + images.values().stream()
                    .map(i -> i.target() + " -> " + i.path()).sorted().collect(Collectors.joining(", ")),
                    Optional.of(name), Optional.empty(), pathsOf(images));
        }
    }

    /** Remove a snapshot's libvirt metadata (libvirt re-parents its children, and makes its parent current). */
    record RemoveSnapshot(String name) implements Step {
        @Override
        public PlanStep describe() {
            return step(StepKind.REMOVE_SNAPSHOT, "remove snapshot '" + name + "' from libvirt's metadata",
                    Optional.of(name), Optional.empty(), List.of());
        }
    }

    /** Remove a file nothing references. */
    record RemoveFile(String path, String why) implements Step {
        @Override
        public PlanStep describe() {
            return step(StepKind.REMOVE_FILE, "remove " + path + " (" + why + ")", Optional.empty(), Optional.empty(),
                    List.of(path));
        }
    }

    /**
     * Start the shut-off domain from a memory snapshot's memory file, with the disks on fresh overlays
     * ({@code sources}), running or paused. The domain definition saved in the memory file is used with its disk
     * sources replaced by {@code sources}, so the domain never runs on a frozen image; the file is only read.
     */
    record RestoreMemory(String snapshot, String memoryFile, Map<String, DiskImage> sources, boolean paused)
            implements Step {
        public RestoreMemory {
            sources = Map.copyOf(sources);
        }

        @Override
        public PlanStep describe() {
            List<String> paths = new java.util.ArrayList<>(pathsOf(sources));
            paths.add(0, memoryFile);
            return step(StepKind.RESTORE_MEMORY, "start the domain " + (paused ? "paused" : "running")
                    + " from the memory of '" + snapshot + "' (" + memoryFile + ", only read) on " + sources.values()
                    .stream().map(i -> i.target() + " -> " + i.path()).sorted().collect(Collectors.joining(", ")),
                    Optional.of(snapshot), Optional.empty(), paths);
        }
    }

    /** Pause the running domain, so that what the next steps copy is from one instant. */
    record PauseDomain() implements Step {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.PAUSE_DOMAIN, "pause the domain for the snapshot's instant");
        }
    }

    /** Let the domain paused by {@link PauseDomain} run again. */
    record ResumeDomain() implements Step {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.RESUME_DOMAIN, "let the domain run again");
        }
    }

    /** Copy the firmware variables file to a snapshot's own copy (replacing a leftover of that name). */
    record SaveFirmware(String snapshot, String vars, String copy) implements Step {
        @Override
        public PlanStep describe() {
            return save(StepKind.SAVE_FIRMWARE, "the firmware variables", snapshot, vars, copy);
        }
    }

    /** Put a snapshot's copy of the firmware variables back (the copy is only read). */
    record RestoreFirmware(String snapshot, String copy, String vars) implements Step {
        @Override
        public PlanStep describe() {
            return restore(StepKind.RESTORE_FIRMWARE, "the firmware variables", snapshot, copy, vars, "");
        }
    }

    /** Copy the emulated TPM's state file to a snapshot's own copy (replacing a leftover of that name). */
    record SaveTpmState(String snapshot, String state, String copy) implements Step {
        @Override
        public PlanStep describe() {
            return save(StepKind.SAVE_TPM_STATE, "the TPM state", snapshot, state, copy);
        }
    }

    /** Put a snapshot's copy of the TPM state back (the copy is only read; the state file keeps owner and mode). */
    record RestoreTpmState(String snapshot, String copy, String state) implements Step {
        @Override
        public PlanStep describe() {
            return restore(StepKind.RESTORE_TPM_STATE, "the TPM state", snapshot, copy, state,
                    " (its owner, group and mode kept)");
        }
    }

    /** Start the domain. */
    record StartDomain() implements Step {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.START_DOMAIN, "start the domain");
        }
    }
}
