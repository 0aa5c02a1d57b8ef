package dev.esm.core.plan;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageFormat;
import dev.esm.api.Operation;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotName;
import dev.esm.api.errors.DomainStateException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.StorageException;
import dev.esm.api.errors.UnsupportedDiskException;
import dev.esm.core.model.DiskDef;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.EsmRecord;
import dev.esm.core.model.Names;
import dev.esm.core.model.SnapshotTree;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Plans revert and refresh: fresh overlays on a snapshot's frozen images, optionally its memory restored. Pure;
 * stateless; thread-safe.
 */
public final class RevertPlanner {
    private RevertPlanner() {
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
        // A frozen image on a chain too deep for a new overlay (made before the limit, or under a higher one) takes in
        // the data of the images nearest to it first (DepthLimit): what it shows does not change, and every later
        // revert to it finds it short. Offline: a running domain is stopped first, as it may hold the image open.
        List<Step> pulls = new ArrayList<>();
        Set<String> atLimit = new HashSet<>();
        for (DiskImage frozen : to.images()) {
            view.depths().chain(frozen.path()).ifPresent(chain -> {
                java.util.OptionalInt k = DepthLimit.anchor(chain, 1, view.depths().max());
                if (k.isPresent()) {
                    pulls.add(new Step.Pull(frozen.target(), frozen, chain.get(k.getAsInt()).image(), false));
                } else if (DepthLimit.atLimit(chain.size() + 1, view.depths().max())) {
                    atLimit.add(frozen.target()); // the new overlay on it is one the next snapshot pulls into
                }
            });
        }
        boolean stopped = steps.stream().anyMatch(st -> st instanceof Step.StopDomain);
        if (!pulls.isEmpty() && restore && view.state().isActive()) {
            steps.add(new Step.StopDomain());
            stopped = true;
        }
        steps.addAll(pulls);
        Map<String, DiskImage> sources = new LinkedHashMap<>();
        for (DiskDef disk : def.eligibleDisks()) {
            DiskImage frozen = to.image(disk.target()).orElseThrow(() -> new UnsupportedDiskException("disk "
                    + disk.target() + " of domain '" + domain + "' has no image in '" + to.name()
                    + "' (was it added later?); remove it from the domain or mark it snapshot='no'"));
            String dir = record.flatMap(EsmRecord::disksDir).orElse(Names.directory(frozen.path()));
            String overlay = Names.overlayPath(dir, stems.getOrDefault(disk.target(), disk.target()), to.name(), now,
                    taken);
            Planner.checkFileName(overlay);
            planned.add(overlay);
            steps.add(new Step.CreateOverlay(overlay, frozen, atLimit.contains(disk.target())));
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
        if (restore && view.state().isActive() && !stopped) {
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
        // After the point of no return (a failure completes the revert instead of undoing it), before any start.
        // A TPM's state is put back only into a state file libvirt made (its folder and owner are libvirt's; a TPM
        // whose state was removed is made anew by libvirt at the next start). A domain without a piece of firmware
        // state asks for no copy of it: over a storage API that is a lookup and a rescan.
        for (Firmware.State state : Firmware.State.values()) {
            Optional<String> file = state.fileOf(def).filter(f -> state != Firmware.State.TPM || exists.test(f));
            Optional<String> copy = file.isPresent() ? Firmware.copyOf(state, record, to).filter(exists)
                    : Optional.empty();
            if (file.isPresent() && copy.isPresent()) {
                steps.add(state.restore(to.name(), copy.get(), file.get()));
            }
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
}
