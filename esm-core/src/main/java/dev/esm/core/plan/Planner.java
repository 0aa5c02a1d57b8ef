package dev.esm.core.plan;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainState;
import dev.esm.api.ImageFormat;
import dev.esm.api.Operation;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Plans each operation as steps; this class plans create and holds the disk checks every planner shares
 * ({@link SetupPlanner} plans setup, {@link RevertPlanner} revert and refresh, {@link MergePlanner} delete and
 * commit). Every check happens before any step runs, so that a refused operation changes nothing. Pure: the only
 * outside knowledge is {@code exists}, which tells which paths are taken. Stateless; thread-safe.
 */
public final class Planner {
    private Planner() {
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
        // A chain that would hold too many images with the new overlay on it is shortened first (DepthLimit); an
        // overlay whose chain is then at the limit is one the next snapshot pulls into.
        Set<String> atLimit = new HashSet<>();
        for (DiskImage img : active) {
            view.depths().chain(img.path()).ifPresent(chain -> {
                java.util.OptionalInt k = DepthLimit.anchor(chain, 1, view.depths().max());
                if (k.isPresent()) {
                    steps.add(new Step.Pull(img.target(), img, chain.get(k.getAsInt()).image(), live));
                } else if (DepthLimit.atLimit(chain.size() + 1, view.depths().max())) {
                    atLimit.add(img.target());
                }
            });
        }
        List<DiskImage> overlays = new ArrayList<>();
        for (DiskImage img : active) {
            String dir = record.flatMap(EsmRecord::disksDir).orElse(Names.directory(img.path()));
            String stem = stems.getOrDefault(img.target(), img.target());
            String overlay = Names.overlayPath(dir, stem, name, now, taken);
            checkFileName(overlay);
            planned.add(overlay);
            steps.add(new Step.CreateOverlay(overlay, img, atLimit.contains(img.target())));
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
        // The firmware state (UEFI variables, an emulated TPM's state) is copied at the snapshot's instant: a running
        // domain is paused for the copies and the snapshot, unless quiesced (a paused guest cannot freeze its file
        // systems: then the copies are taken just before the snapshot).
        List<Step> saves = new ArrayList<>();
        for (Firmware.State state : Firmware.State.values()) {
            Optional<String> file = state.fileOf(def).or(() -> state.fileOf(view.persistent())).filter(exists);
            if (file.isPresent()) {
                String dir = record.flatMap(EsmRecord::disksDir).orElse(Names.directory(active.get(0).path()));
                String copy = state.copyPath(dir, name);
                checkFileName(copy);
                saves.add(state.save(name, file.get(), copy));
            }
        }
        boolean pause = !saves.isEmpty() && view.state() == DomainState.RUNNING && !quiesce;
        if (pause) {
            steps.add(new Step.PauseDomain());
        }
        steps.addAll(saves);
        steps.add(new Step.CreateSnapshot(name, xml, live, quiesce, overlays, memoryFile));
        if (pause) {
            steps.add(new Step.ResumeDomain());
        }
        if (record.isEmpty()) {
            // The first snapshot freezes the images the domain had: they become the base.
            steps.add(new Step.DefineDomain(Map.of(), Optional.of(new EsmRecord(Optional.empty(), active, now))));
        }
        return new OperationPlan(Operation.CREATE, domain, steps, name);
    }

    /** The active image of each eligible disk, checked to be usable. */
    static List<DiskImage> activeImages(DomainDefinition def, String domain, boolean setup,
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

    static void checkFileName(String path) {
        if (!Names.fits(Names.fileName(path))) {
            throw new StorageException("the file name of '" + path + "' would be longer than "
                    + Names.MAX_FILE_NAME_BYTES + " bytes; use a shorter snapshot name or image file name");
        }
    }
}
