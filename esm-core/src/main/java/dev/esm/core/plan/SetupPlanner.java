package dev.esm.core.plan;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.ImageFormat;
import dev.esm.api.Operation;
import dev.esm.api.errors.DomainStateException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.StorageException;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.EsmRecord;
import dev.esm.core.model.Names;
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
 * Plans setup: the domain's images moved into ESM's folder and frozen as the base, see docs/semantics.md. Pure;
 * stateless; thread-safe.
 */
public final class SetupPlanner {
    private SetupPlanner() {
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
        List<DiskImage> active = Planner.activeImages(def, domain, true, Optional.empty());
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
                Planner.checkFileName(to);
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
            Planner.checkFileName(overlay);
            planned.add(overlay);
            overlays.add(new Step.CreateOverlay(overlay, baseImage));
            sources.put(img.target(), new DiskImage(img.target(), overlay, ImageFormat.QCOW2));
        }
        steps.addAll(overlays);
        for (Firmware.State state : Firmware.State.values()) {
            state.fileOf(def).filter(exists).ifPresent(file -> steps.add(state.save(DomainSnapshots.BASE, file,
                    state.copyPath(disksDir, DomainSnapshots.BASE))));
        }
        steps.add(new Step.DefineDomain(sources, Optional.of(new EsmRecord(Optional.of(disksDir), base, now))));
        steps.addAll(removals);
        return new OperationPlan(Operation.SETUP, domain, steps, DomainSnapshots.BASE);
    }

}
