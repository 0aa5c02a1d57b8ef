package dev.esm.core.plan;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.ImageFormat;
import dev.esm.api.Operation;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotName;
import dev.esm.api.errors.DomainStateException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.SnapshotExistsException;
import dev.esm.api.errors.StorageException;
import dev.esm.api.errors.UnsupportedDiskException;
import dev.esm.core.model.DiskDef;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.EsmRecord;
import dev.esm.core.model.Names;
import dev.esm.core.model.SnapshotTree;
import dev.esm.core.xml.SnapshotXml;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Plans each operation as steps. Every check happens here, before any step runs, so that a refused operation
 * changes nothing. Pure: the only outside knowledge is {@code exists}, which tells which paths are taken.
 * Stateless; thread-safe.
 */
public final class Planner {
    private Planner() {
    }

    /** In which run state a revert leaves the domain. */
    public enum Resume {
        /** Shut off (a cold disk revert), started afterwards only if asked ({@code start}). */
        NO,
        /** Running, from the snapshot's memory state. */
        RUNNING,
        /** Paused, from the snapshot's memory state. */
        PAUSED
    }

    /** Options of a revert or refresh. */
    public record RevertOptions(boolean stopIfRunning, boolean start, Resume resume) {
        public RevertOptions {
            java.util.Objects.requireNonNull(resume, "resume");
        }

        /** A cold (disk) revert. */
        public RevertOptions(boolean stopIfRunning, boolean start) {
            this(stopIfRunning, start, Resume.NO);
        }
    }

    /**
     * What setup must know of the images it moves, read from the host before planning.
     *
     * @param links the disks' images that are symbolic links: image path to the link's text
     * @param backings the backing reference of each image that has one, by image path
     */
    public record SetupFacts(Map<String, String> links, Map<String, Backing> backings) {
        public SetupFacts {
            links = Map.copyOf(links);
            backings = Map.copyOf(backings);
        }

        /** Nothing known: no links, no backing files. */
        public static final SetupFacts NONE = new SetupFacts(Map.of(), Map.of());
    }

    /**
     * An image's backing reference.
     *
     * @param reference the name as the image's header records it
     * @param resolved the backing image it names (an absolute path) with the recorded format
     * @param formatRecorded whether the header records the backing format (else QEMU would have to probe it)
     */
    public record Backing(String reference, DiskImage resolved, boolean formatRecorded) {
        /** @return whether the name is relative to the image's folder: it would dangle once the image moves */
        public boolean relative() {
            return !reference.startsWith("/");
        }
    }

    /**
     * Plans {@code setup(directory)}: see docs/semantics.md.
     *
     * @param view the domain now
     * @param directory an absolute folder on the host
     * @param exists which paths exist on the host
     * @param now the time the base is frozen
     */
    public static OperationPlan setup(DomainView view, String directory, Predicate<String> exists, Instant now) {
        return setup(view, directory, exists, now, SetupFacts.NONE);
    }

    /**
     * Plans {@code setup(directory)}: see docs/semantics.md. An image that is a symbolic link is refused (moving it
     * would move the link, not the image); an image whose backing file is named relative to its folder is pointed
     * at the same backing file by its absolute name once placed (so the chain still opens from the new folder);
     * a folder so deep that later overlays' backing names could not fit a qcow2 header is refused.
     *
     * @param facts what the host says of the images: links and backing references
     */
    public static OperationPlan setup(DomainView view, String directory, Predicate<String> exists, Instant now,
                                      SetupFacts facts) {
        String domain = view.name();
        if (directory == null || !directory.startsWith("/")) {
            throw new InvalidOperationException("setup needs an absolute folder, got '" + directory + "'");
        }
        UnusualDisks.refuseOddFolder(directory);
        if (view.state() != DomainState.SHUTOFF) {
            throw new DomainStateException("domain '" + domain + "' is " + view.state().name().toLowerCase()
                    + "; setup works offline only: shut it down first");
        }
        if (!view.snapshots().isEmpty()) {
            throw new InvalidOperationException("domain '" + domain + "' has snapshots already ("
                    + view.tree().names() + "); setup must come before the first snapshot");
        }
        if (view.persistent().record().isPresent()) {
            throw new InvalidOperationException("domain '" + domain + "' is set up already; its base is frozen"
                    + view.persistent().record().get().disksDir().map(d -> " in " + d).orElse(""));
        }
        DomainDefinition def = view.persistent();
        List<DiskImage> active = activeImages(def, domain, true, Optional.empty());
        String disksDir = Names.join(Names.stripTrailingSlash(directory), "disks");
        Map<String, String> stems = Names.stems(active);
        Set<String> planned = new HashSet<>();
        Predicate<String> taken = p -> planned.contains(p) || exists.test(p);

        List<Step> steps = new ArrayList<>();
        steps.add(new Step.MakeDirectory(disksDir));
        List<DiskImage> base = new ArrayList<>();
        List<Step> overlays = new ArrayList<>();
        Map<String, DiskImage> sources = new LinkedHashMap<>();
        List<Step> removals = new ArrayList<>();
        for (DiskImage img : active) {
            String stem = stems.get(img.target());
            UnusualDisks.checkSetupFolder(directory, disksDir, stem, img.target());
            UnusualDisks.refuseLink(img, facts.links().get(img.path()), domain);
            DiskImage baseImage = img;
            if (!def.disk(img.target()).orElseThrow().isBlock()) {
                String to = Names.basePath(disksDir, stem);
                checkFileName(to);
                if (taken.test(to)) {
                    throw new StorageException("'" + to + "' exists already; setup never overwrites a file: "
                            + "move it away or choose another folder");
                }
                planned.add(to);
                steps.add(new Step.MoveImage(img.path(), to));
                UnusualDisks.absoluteBacking(img, to, facts.backings().get(img.path())).ifPresent(steps::add);
                removals.add(new Step.RemoveFile(img.path(), "the image now lives at " + to));
                baseImage = new DiskImage(img.target(), to, img.format());
            }
            base.add(baseImage);
            String overlay = Names.overlayPath(disksDir, stem, DomainSnapshots.BASE, now, taken);
            checkFileName(overlay);
            planned.add(overlay);
            overlays.add(new Step.CreateOverlay(overlay, baseImage));
            sources.put(img.target(), new DiskImage(img.target(), overlay, ImageFormat.QCOW2));
        }
        steps.addAll(overlays);
        steps.add(new Step.DefineDomain(sources, Optional.of(new EsmRecord(Optional.of(disksDir), base, now))));
        steps.addAll(removals);
        return new OperationPlan(Operation.SETUP, domain, steps, DomainSnapshots.BASE);
    }

    /**
     * Plans {@code create(name)}: an overlay per eligible disk on top of its active image, then one atomic
     * libvirt snapshot on them.
     */
    public static OperationPlan create(DomainView view, String name, String description, boolean quiesce,
                                       Predicate<String> exists, Instant now) {
        return create(view, name, description, quiesce, false, exists, now);
    }

    /**
     * Plans {@code create(name)}, with the domain's memory state when {@code memory}: the memory file goes beside
     * the frozen images, named after the snapshot.
     */
    public static OperationPlan create(DomainView view, String name, String description, boolean quiesce,
                                       boolean memory, Predicate<String> exists, Instant now) {
        SnapshotName.of(name);
        String domain = view.name();
        SnapshotTree tree = view.tree();
        if (tree.find(name).isPresent()) {
            throw new SnapshotExistsException("domain '" + domain + "' has a snapshot '" + name
                    + "' already; choose another name or delete that one first");
        }
        boolean live = switch (view.state()) {
            case RUNNING, PAUSED -> true;
            case SHUTOFF -> false;
            case OTHER -> throw new DomainStateException("domain '" + domain
                    + "' is neither running nor shut off; wait until it is, then retry");
        };
        if (quiesce && !live) {
            throw new DomainStateException("quiesce needs a running domain with a guest agent; '" + domain
                    + "' is shut off");
        }
        if (memory && !live) {
            throw new DomainStateException("a snapshot with memory needs a running or paused domain; '" + domain
                    + "' is shut off: start it first, or take a disk-only snapshot (without memory())");
        }
        if (memory && quiesce) {
            throw new InvalidOperationException("memory() and quiesce() cannot be combined: libvirt quiesces disk-only"
                    + " snapshots only, and a memory snapshot pauses the guest anyway, so its disks and memory are"
                    + " consistent without the guest agent; drop quiesce()");
        }
        DomainDefinition def = view.active();
        Optional<EsmRecord> record = view.persistent().record();
        List<DiskImage> active = activeImages(def, domain, false, record.flatMap(EsmRecord::disksDir));
        Map<String, String> stems = Names.stems(record.map(EsmRecord::base).filter(b -> !b.isEmpty()).orElse(active));
        Set<String> planned = new HashSet<>();
        Predicate<String> taken = p -> planned.contains(p) || exists.test(p);

        List<Step> steps = new ArrayList<>();
        List<DiskImage> overlays = new ArrayList<>();
        for (DiskImage img : active) {
            String dir = record.flatMap(EsmRecord::disksDir).orElse(Names.directory(img.path()));
            String stem = stems.getOrDefault(img.target(), img.target());
            String overlay = Names.overlayPath(dir, stem, name, now, taken);
            checkFileName(overlay);
            planned.add(overlay);
            steps.add(new Step.CreateOverlay(overlay, img));
            overlays.add(new DiskImage(img.target(), overlay, ImageFormat.QCOW2));
        }
        Optional<String> memoryFile = Optional.empty();
        if (memory) {
            String dir = record.flatMap(EsmRecord::disksDir).orElse(Names.directory(active.get(0).path()));
            String path = Names.memoryPath(dir, name, now, taken);
            checkFileName(path);
            planned.add(path);
            memoryFile = Optional.of(path);
        }
        String xml = SnapshotXml.forCreate(name, description, overlays, SnapshotXml.excludedTargets(def), memoryFile);
        steps.add(new Step.CreateSnapshot(name, xml, live, quiesce, overlays, memoryFile));
        if (record.isEmpty()) {
            // The first snapshot freezes the images the domain had: they become the base.
            steps.add(new Step.DefineDomain(Map.of(), Optional.of(new EsmRecord(Optional.empty(), active, now))));
        }
        return new OperationPlan(Operation.CREATE, domain, steps, name);
    }

    /**
     * Plans {@code revert(target)} (and {@code refresh}, with the current snapshot as target): a fresh overlay
     * per disk on the target's frozen images, the domain redefined on them, libvirt's current snapshot set, the
     * discarded active layer removed.
     */
    public static OperationPlan revert(DomainView view, String target, boolean refresh, RevertOptions options,
                                       Predicate<String> exists, Instant now) {
        String domain = view.name();
        SnapshotTree tree = view.tree();
        Snapshot to;
        if (DomainSnapshots.BASE.equals(target)) {
            to = tree.base().orElseThrow(() -> new InvalidOperationException("domain '" + domain
                    + "' has no frozen base yet, so there is nothing to go back to: run setup, or take a snapshot"
                    + " first"));
        } else {
            if (target == null || SnapshotName.problem(target) != null) {
                throw new dev.esm.api.errors.SnapshotNotFoundException("domain '" + domain + "' has no snapshot '"
                        + target + "'");
            }
            to = tree.get(target);
        }
        boolean restore = options.resume() != Resume.NO;
        if (restore) {
            String how = options.resume() == Resume.RUNNING ? "running()" : "paused()";
            if (!to.hasMemory()) {
                throw new InvalidOperationException((to.isBase() ? "the base of domain '" + domain + "'"
                        : "snapshot '" + to.name() + "' of domain '" + domain + "'") + " holds no memory state (it is"
                        + " disk-only), so it cannot be reverted " + how.replace("()", "") + ": revert without " + how
                        + " for its disks, and add start() to boot it");
            }
            if (options.start()) {
                throw new InvalidOperationException("start() and " + how + " exclude each other: " + how + " brings"
                        + " the domain back in its state at the snapshot, start() boots it afresh; choose one");
            }
            if (!exists.test(to.memoryFile().orElseThrow())) {
                throw new StorageException("the memory file " + to.memoryFile().get() + " of snapshot '" + to.name()
                        + "' is missing, so its running state is lost; revert without " + how + " to get its disks");
            }
        }
        List<Step> steps = new ArrayList<>();
        switch (view.state()) {
            case SHUTOFF -> { }
            case RUNNING, PAUSED -> {
                if (!options.stopIfRunning() && !restore) {
                    throw new DomainStateException("domain '" + domain + "' is " + view.state().name().toLowerCase()
                            + "; " + (refresh ? "refresh" : "revert") + " needs it shut off: shut it down, or ask"
                            + " to stop it (stopIfRunning(), --force)");
                }
                if (!restore) {
                    steps.add(new Step.StopDomain());
                }
            }
            case OTHER -> throw new DomainStateException("domain '" + domain
                    + "' is neither running nor shut off; wait until it is, then retry");
        }
        DomainDefinition def = view.persistent();
        Optional<EsmRecord> record = def.record();
        List<DiskImage> activeNow = new ArrayList<>(def.activeImages());
        view.live().ifPresent(l -> activeNow.addAll(l.activeImages()));
        Map<String, String> stems = Names.stems(record.map(EsmRecord::base).filter(b -> !b.isEmpty())
                .orElse(to.images()));
        Set<String> planned = new HashSet<>();
        Predicate<String> taken = p -> planned.contains(p) || exists.test(p);
        Map<String, DiskImage> sources = new LinkedHashMap<>();
        for (DiskDef disk : def.eligibleDisks()) {
            DiskImage frozen = to.image(disk.target()).orElseThrow(() -> new UnsupportedDiskException("disk "
                    + disk.target() + " of domain '" + domain + "' has no image in '" + to.name()
                    + "' (was it added later?); remove it from the domain or mark it snapshot='no'"));
            String dir = record.flatMap(EsmRecord::disksDir).orElse(Names.directory(frozen.path()));
            String overlay = Names.overlayPath(dir, stems.getOrDefault(disk.target(), disk.target()), to.name(), now,
                    taken);
            checkFileName(overlay);
            planned.add(overlay);
            steps.add(new Step.CreateOverlay(overlay, frozen));
            sources.put(disk.target(), new DiskImage(disk.target(), overlay, ImageFormat.QCOW2));
        }
        // Unnamed images (kept by an earlier delete) that only the discarded active layer stood on go too.
        Set<String> keep = tree.frozenPaths();
        Set<String> orphans = new java.util.LinkedHashSet<>();
        Optional<EsmRecord> newRecord = Optional.empty();
        if (view.images().isPresent() && record.isPresent() && !record.get().unnamed().isEmpty()) {
            var g = view.images().get();
            Set<String> remaining = new HashSet<>(g.paths());
            activeNow.forEach(a -> remaining.remove(a.path()));
            orphans.addAll(MergePlanner.orphans(g, remaining, keep, Set.of()));
            List<DiskImage> unnamed = record.get().unnamed().stream().filter(u -> !orphans.contains(u.path())).toList();
            if (unnamed.size() != record.get().unnamed().size()) {
                newRecord = Optional.of(record.get().withUnnamed(unnamed));
            }
        }
        if (restore && view.state().isActive()) {
            // A revert to a running state stops the domain only once the overlays exist: a revert that cannot make
            // them (no space, say) leaves the running domain alone.
            steps.add(new Step.StopDomain());
        }
        steps.add(new Step.DefineDomain(sources, newRecord));
        Optional<String> libvirtCurrent = view.libvirtCurrent();
        if (to.isBase()) {
            if (libvirtCurrent.isPresent()) {
                String root = tree.children(DomainSnapshots.BASE).get(0).name();
                steps.add(new Step.ClearCurrent(root, tree.children(root).stream().map(Snapshot::name).toList()));
            }
        } else if (!libvirtCurrent.equals(Optional.of(to.name()))) {
            steps.add(new Step.SetCurrent(to.name()));
        }
        Set<String> removed = new HashSet<>();
        for (DiskImage old : activeNow) {
            if (!keep.contains(old.path()) && !planned.contains(old.path()) && removed.add(old.path())) {
                steps.add(new Step.RemoveFile(old.path(), "the discarded active layer of " + old.target()));
            }
        }
        for (String o : orphans) {
            if (removed.add(o)) {
                steps.add(new Step.RemoveFile(o, "an unnamed image only the discarded active layer stood on"));
            }
        }
        if (options.start()) {
            steps.add(new Step.StartDomain());
        }
        if (restore) {
            // Last: the snapshot's disks are in place and every file step is done; a restore that fails then leaves
            // the domain shut off on the snapshot's disks (a cold revert), never half-way.
            steps.add(new Step.RestoreMemory(to.name(), to.memoryFile().orElseThrow(), sources,
                    options.resume() == Resume.PAUSED));
        }
        return new OperationPlan(refresh ? Operation.REFRESH : Operation.REVERT, domain, steps, to.name());
    }

    /** The active image of each eligible disk, checked to be usable. */
    private static List<DiskImage> activeImages(DomainDefinition def, String domain, boolean setup,
                                                Optional<String> disksDir) {
        List<DiskDef> eligible = def.eligibleDisks();
        if (eligible.isEmpty()) {
            throw new UnsupportedDiskException("domain '" + domain + "' has no disk that can take snapshots (disks: "
                    + def.disks().stream().map(d -> d.target() + " " + d.ineligibility()).toList() + ")");
        }
        Map<String, String> seen = new HashMap<>();
        List<DiskImage> out = new ArrayList<>();
        for (DiskDef d : eligible) {
            String source = d.source().orElseThrow();
            if (d.format().isEmpty()) {
                throw new UnsupportedDiskException("disk " + d.target() + " of domain '" + domain + "' has format '"
                        + d.driverType().orElse("(none given)") + "'; ESM handles qcow2 and raw, named explicitly"
                        + " in <driver type=...> (formats are never probed)");
            }
            UnusualDisks.refuse(d, domain);
            String other = seen.put(source, d.target());
            if (other != null) {
                throw new UnsupportedDiskException("disks " + other + " and " + d.target() + " of domain '" + domain
                        + "' both use " + source + "; give each disk its own image");
            }
            if (d.isBlock() && !setup && disksDir.isEmpty()) {
                throw new UnsupportedDiskException("disk " + d.target() + " of domain '" + domain
                        + "' is the block device " + source + ", which has no folder for overlays: run setup first");
            }
            out.add(d.image().orElseThrow());
        }
        return out;
    }

    private static void checkFileName(String path) {
        if (!Names.fits(Names.fileName(path))) {
            throw new StorageException("the file name of '" + path + "' would be longer than "
                    + Names.MAX_FILE_NAME_BYTES + " bytes; use a shorter snapshot name or image file name");
        }
    }
}
