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
import dev.esm.api.errors.SnapshotNotFoundException;
import dev.esm.core.model.DiskDef;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.EsmRecord;
import dev.esm.core.model.ImageGraph;
import dev.esm.core.model.SnapshotTree;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Plans delete and commit: which images are merged into which (and whether live or offline), which headers
 * are re-pointed, which snapshots are redefined or removed and which files go. Every check that can refuse
 * happens before the first step. Pure; stateless; thread-safe.
 *
 * <p>The rules, per disk, for removing snapshots S1..T (one path, S1 oldest) whose frozen images with the
 * unnamed images between them form the segment {@code I1 .. In}:
 * <ul>
 *   <li>an image another surviving snapshot (or the base) also uses is never written or removed;</li>
 *   <li>nobody stands on {@code In}: the segment is removed, and unnamed images below that nobody needs any more;</li>
 *   <li>one image Y stands on {@code In} (a child's frozen image, an unnamed image or the active layer): one merge
 *       job writes Y and the segment into {@code I1}, which takes Y's place; Y and the rest of the segment go;</li>
 *   <li>several stand on {@code In}: for a single snapshot, its image is kept unnamed (merging would copy it into
 *       each); for a longer segment, the segment is merged into {@code I1}, which is kept unnamed;</li>
 *   <li>commit refuses when an image of the segment other than {@code In} has anyone else standing on it (a
 *       sibling branch): merging would change what that branch reads.</li>
 * </ul>
 *
 * <p>Memory snapshots: a memory file pairs with its snapshot's disk content, which no merge changes (the rules
 * above keep every surviving snapshot's content); a merge may only move that content to another file, and a
 * restore always runs on fresh overlays over the snapshot's images as its metadata names them now. A memory
 * snapshot is removed only when asked (delete or commit naming it), and its memory file goes with it.
 */
public final class MergePlanner {
    private MergePlanner() {
    }

    /** Plans {@code delete(name)}. */
    public static OperationPlan delete(DomainView view, String name) {
        String domain = view.name();
        if (DomainSnapshots.BASE.equals(name)) {
            throw new InvalidOperationException("the base of domain '" + domain + "' cannot be deleted: every snapshot"
                    + " stands on it");
        }
        if (name == null || SnapshotName.problem(name) != null) {
            throw new SnapshotNotFoundException("domain '" + domain + "' has no snapshot '" + name + "'");
        }
        Snapshot s = view.tree().get(name);
        return plan(Operation.DELETE, view, List.of(s));
    }

    /** Plans {@code commit(base, top)}. */
    public static OperationPlan commit(DomainView view, String base, String top) {
        String domain = view.name();
        SnapshotTree tree = view.tree();
        if (DomainSnapshots.BASE.equals(top)) {
            throw new InvalidOperationException("commit needs a snapshot as top, not the base");
        }
        Snapshot t = tree.get(top);
        Snapshot b = tree.get(base);
        List<Snapshot> path = new ArrayList<>();
        for (Snapshot cur = t; ; ) {
            path.add(0, cur);
            Optional<Snapshot> p = tree.parent(cur.name());
            if (p.isEmpty()) {
                throw new InvalidOperationException("'" + base + "' is not below '" + top + "' in domain '" + domain
                        + "': commit needs a base that is an ancestor of top (see the tree)");
            }
            if (p.get().name().equals(b.name())) {
                break;
            }
            cur = p.get();
        }
        if (t.name().equals(b.name())) {
            throw new InvalidOperationException("commit needs two different snapshots");
        }
        return plan(Operation.COMMIT, view, path);
    }

    private static OperationPlan plan(Operation op, DomainView view, List<Snapshot> removed) {
        String domain = view.name();
        if (view.state() == DomainState.OTHER) {
            throw new DomainStateException("domain '" + domain + "' is neither running nor shut off; wait, then retry");
        }
        SnapshotTree tree = view.tree();
        ImageGraph g = view.graph();
        Set<String> removedNames = new HashSet<>();
        removed.forEach(s -> removedNames.add(s.name()));
        DomainDefinition persistent = view.persistent();
        Optional<EsmRecord> record = persistent.record();

        // Images that must keep their content and stay: those of surviving snapshots, the base, the active layers.
        Set<String> named = new HashSet<>();
        tree.base().ifPresent(bs -> bs.images().forEach(i -> named.add(i.path())));
        tree.snapshots().stream().filter(s -> !removedNames.contains(s.name()))
                .forEach(s -> s.images().forEach(i -> named.add(i.path())));
        Map<String, DiskImage> activeNow = new HashMap<>();
        persistent.activeImages().forEach(i -> activeNow.put(i.path(), i));
        view.live().ifPresent(l -> l.activeImages().forEach(i -> activeNow.put(i.path(), i)));
        Set<String> running = new HashSet<>();
        if (view.state().isActive()) {
            view.live().orElse(persistent).activeImages().forEach(i -> running.addAll(g.chain(i.path())));
        }

        List<Step> merges = new ArrayList<>();
        Set<String> gone = new LinkedHashSet<>();
        Set<String> mergedInto = new HashSet<>();
        Set<String> goneInUnits = new HashSet<>();
        Map<String, Map<String, DiskImage>> snapshotRewrites = new LinkedHashMap<>();
        Map<String, DiskImage> newActive = new LinkedHashMap<>();

        for (DiskDef disk : persistent.eligibleDisks()) {
            String t = disk.target();
            List<String> own = new ArrayList<>();
            for (Snapshot s : removed) {
                s.image(t).ifPresent(i -> own.add(i.path()));
            }
            if (own.isEmpty()) {
                continue;
            }
            String first = own.get(0);
            String last = own.get(own.size() - 1);
            List<String> segment = segment(g, last, first, domain, t);
            Optional<String> shared = segment.stream().filter(named::contains).findFirst();
            if (shared.isPresent()) {
                if (op == Operation.DELETE) {
                    continue; // the image belongs to the base or another snapshot too: only the metadata goes
                }
                throw new InvalidOperationException("commit would write into " + shared.get() + " of disk " + t
                        + ", which " + who(tree, shared.get(), activeNow) + " also uses; choose a shorter range");
            }
            for (int i = 1; i < segment.size(); i++) {
                List<String> deps = g.dependents(segment.get(i));
                String above = segment.get(i - 1);
                if (!deps.equals(List.of(above))) {
                    String other = deps.stream().filter(d -> !d.equals(above)).findFirst().orElse("?");
                    throw new InvalidOperationException("commit would change what " + who(tree, other, activeNow)
                            + " stands on (" + segment.get(i) + " of disk " + t + " backs another branch); delete that"
                            + " branch first or commit a range without branches");
                }
            }
            DiskImage base = g.node(first).orElseThrow().image();
            List<String> deps = g.dependents(last);
            if (deps.isEmpty()) {
                gone.addAll(segment);
                continue;
            }
            String topPath;
            if (deps.size() == 1) {
                topPath = deps.get(0);
            } else if (segment.size() > 1) {
                topPath = last;
            } else {
                continue; // several stand on it: kept as an unnamed image
            }
            DiskImage top = g.node(topPath).orElseThrow().image();
            boolean live = running.contains(base.path());
            boolean activeLayer = activeNow.containsKey(topPath);
            merges.add(new Step.Merge(t, top, base, live, activeLayer));
            mergedInto.add(base.path());
            DiskImage replacement = new DiskImage(t, base.path(), base.format());
            // Everything that referred to the merged top refers to the base now; done right after the merge, so
            // that a later merge that fails or is cancelled leaves this disk consistent.
            for (String z : g.dependents(topPath)) {
                if (!(live && running.contains(z))) {
                    merges.add(new Step.Rebase(z, replacement));
                }
            }
            if (persistent.disk(t).flatMap(DiskDef::source).filter(topPath::equals).isPresent()) {
                DiskImage active = new DiskImage(t, base.path(), ImageFormat.QCOW2);
                newActive.put(t, active);
                merges.add(new Step.DefineDomain(Map.of(t, active), Optional.empty()));
            }
            for (Snapshot s : tree.snapshots()) {
                if (!removedNames.contains(s.name()) && s.image(t).map(DiskImage::path).filter(topPath::equals).isPresent()) {
                    snapshotRewrites.computeIfAbsent(s.name(), k -> new LinkedHashMap<>()).put(t, replacement);
                    merges.add(new Step.RewriteSnapshotImages(s.name(), Map.of(t, replacement)));
                }
            }
            // The merged images go at once: from here on nothing refers to them.
            List<String> unitGone = new ArrayList<>();
            if (!topPath.equals(last)) {
                unitGone.add(topPath);
            }
            segment.stream().filter(p -> !p.equals(first)).forEach(unitGone::add);
            for (String p : unitGone) {
                merges.add(new Step.RemoveFile(p, "merged into " + first));
                goneInUnits.add(p);
            }
        }

        // Unnamed images below what goes, that nobody will stand on any more.
        Set<String> remaining = new HashSet<>(g.paths());
        remaining.removeAll(gone);
        remaining.removeAll(goneInUnits);
        Set<String> keep = new HashSet<>(named);
        keep.addAll(mergedInto);
        gone.addAll(orphans(g, remaining, keep, activeNow.keySet()));

        List<Step> steps = new ArrayList<>(merges);
        List<Step> removals = new ArrayList<>();
        for (int i = removed.size() - 1; i >= 0; i--) {
            removals.add(new Step.RemoveSnapshot(removed.get(i).name()));
        }
        steps.addAll(removals);
        // ESM's record of unnamed images: everything left that no snapshot, base or active layer names.
        List<DiskImage> unnamed = new ArrayList<>();
        Set<String> namedAfter = new HashSet<>(named);
        snapshotRewrites.values().forEach(m -> m.values().forEach(i -> namedAfter.add(i.path())));
        for (String p : g.paths()) {
            if (!gone.contains(p) && !goneInUnits.contains(p) && !namedAfter.contains(p) && !activeNow.containsKey(p)
                    && !newActive.values().stream().anyMatch(i -> i.path().equals(p))) {
                unnamed.add(g.node(p).orElseThrow().image());
            }
        }
        Optional<EsmRecord> newRecord = record.filter(r -> !Set.copyOf(r.unnamed()).equals(Set.copyOf(unnamed)))
                .map(r -> r.withUnnamed(unnamed));
        newRecord.ifPresent(r -> steps.add(new Step.DefineDomain(Map.of(), Optional.of(r))));
        for (String p : gone) {
            steps.add(new Step.RemoveFile(p, "no snapshot and no active layer needs it any more"));
        }
        // A removed memory snapshot's memory file goes with it (also when a failed merge removes it on abort).
        List<Step> abort = new ArrayList<>(removals);
        for (Snapshot s : removed) {
            s.memoryFile().ifPresent(m -> {
                Step r = new Step.RemoveFile(m, "the memory state of the removed snapshot '" + s.name() + "'");
                steps.add(r);
                abort.add(r);
            });
            for (Firmware.State state : Firmware.State.values()) {
                if (state.fileOf(view.persistent()).isPresent()) {
                    Firmware.copyOf(state, record, s).ifPresent(f -> {
                        Step r = new Step.RemoveFile(f, state.what() + " of the removed snapshot '" + s.name() + "'");
                        steps.add(r);
                        abort.add(r);
                    });
                }
            }
        }
        // The plan is about the snapshot the caller named (the one deleted, the top of a commit), which is what the
        // journal records and a recovery of a stopped process names; not the snapshot current afterwards.
        String target = removed.get(removed.size() - 1).name();
        return new OperationPlan(op, domain, steps, target, abort);
    }

    /** @return {@code top} and the images below it down to {@code bottom}, top first */
    private static List<String> segment(ImageGraph g, String top, String bottom, String domain, String disk) {
        List<String> chain = g.chain(top);
        int i = chain.indexOf(bottom);
        if (i < 0) {
            throw new InvalidOperationException("the images of disk " + disk + " of domain '" + domain
                    + "' do not form a chain: " + bottom + " is not below " + top + "; run verify");
        }
        return new ArrayList<>(chain.subList(0, i + 1));
    }

    /**
     * @return images in {@code remaining} that no snapshot, base or active layer names and on which nothing
     *         remaining stands (repeated until none is left)
     */
    static Set<String> orphans(ImageGraph g, Set<String> remaining, Set<String> named, Set<String> active) {
        Set<String> out = new LinkedHashSet<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (String p : new ArrayList<>(remaining)) {
                if (named.contains(p) || active.contains(p)) {
                    continue;
                }
                boolean needed = g.dependents(p).stream().anyMatch(remaining::contains);
                if (!needed) {
                    remaining.remove(p);
                    out.add(p);
                    changed = true;
                }
            }
        }
        return out;
    }

    private static String who(SnapshotTree tree, String path, Map<String, DiskImage> active) {
        if (active.containsKey(path)) {
            return "the current state (the active layer)";
        }
        for (Snapshot s : tree.snapshots()) {
            if (s.images().stream().anyMatch(i -> i.path().equals(path))) {
                return "snapshot '" + s.name() + "'";
            }
        }
        if (tree.base().map(b -> b.images().stream().anyMatch(i -> i.path().equals(path))).orElse(false)) {
            return "the base";
        }
        return "an unnamed image (" + path + ")";
    }
}
