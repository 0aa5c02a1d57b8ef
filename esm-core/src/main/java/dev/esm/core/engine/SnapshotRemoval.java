package dev.esm.core.engine;

import dev.esm.api.DiskImage;
import dev.esm.api.errors.SnapshotNotFoundException;
import dev.esm.core.plan.Step;
import dev.esm.core.port.Host;
import dev.esm.core.xml.SnapshotXml;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * The steps that remove snapshot metadata from libvirt and put back the definitions libvirt would get wrong, saved in
 * the journal first so that a step run again after a stop puts back the same ones: a snapshot removed
 * ({@link Step.RemoveSnapshot}), and no snapshot made current ({@link Step.ClearCurrent}, done by removing a root's).
 * A removal also makes the rewrites of its children's images that it took over ({@link #takeOver}).
 * Not thread-safe: on the thread that runs the plan (the journal is written from there).
 */
final class SnapshotRemoval {
    private final Host host;
    private final String domain;
    private final JournalKeeper journal;
    /** The step runner's logger: these steps' lines are the step runner's, under its name. */
    private final Logger log;
    /** Each snapshot's parent, from the view the plan was made from and kept by the removals; null when unknown. */
    private Map<String, Optional<String>> parents;
    /** The plan's steps, when its removals may take over the rewrites before them ({@link #takeOver}); else null. */
    private List<Step> plan;
    /** Rewrites of images taken over by the coming removal of the snapshots' parent: name to new image per disk. */
    private final Map<String, Map<String, DiskImage>> takenOver = new LinkedHashMap<>();

    SnapshotRemoval(Host host, String domain, JournalKeeper journal, Logger log) {
        this.host = host;
        this.domain = domain;
        this.journal = journal;
        this.log = log;
    }

    /**
     * Makes libvirt say no snapshot is current: libvirt has no call for it, and removing a current snapshot's
     * metadata makes its parent current; so a root snapshot is made current, its metadata removed (none is
     * current then) and put back with its children's. Their metadata is saved in the journal first.
     */
    void clearCurrent(Step.ClearCurrent s, boolean again) {
        Map<String, String> saved = new LinkedHashMap<>(again ? journal.saved() : Map.of());
        if (saved.isEmpty()) {
            saved.put(s.root(), host.snapshotXml(domain, s.root()));
            for (String c : s.rootChildren()) {
                saved.put(c, host.snapshotXml(domain, c));
            }
            journal.saving(saved);
        }
        boolean exists = host.snapshotXmls(domain).stream().anyMatch(x -> SnapshotXml.parse(x).name().equals(s.root()));
        if (exists) {
            host.redefineSnapshot(domain, saved.get(s.root()), true);
            host.deleteSnapshotMetadata(domain, s.root());
        }
        host.redefineSnapshot(domain, saved.get(s.root()), false);
        for (String c : s.rootChildren()) {
            host.redefineSnapshot(domain, saved.get(c), false);
        }
    }

    /**
     * Lets {@link #removeSnapshot} take which snapshots are children of which from the view a delete or commit was
     * planned from (complete, read under the domain's lock) instead of reading every snapshot again; the removals of
     * the plan keep it up to date as they re-parent. Only for a plan's first run, never for a step run again.
     */
    void knowParents(dev.esm.core.plan.DomainView planned, List<Step> steps) {
        Map<String, Optional<String>> p = new LinkedHashMap<>();
        planned.snapshots().forEach(d -> p.put(d.name(), d.parent()));
        this.parents = p;
        this.plan = List.copyOf(steps);
    }

    /**
     * Takes over a rewrite of a snapshot's images, on a plan's first run, when the next step other than a rewrite or
     * a file removal removes the snapshot's parent: the removal then redefines the child once, with its new images
     * and its new parent, and only where libvirt did not leave it so (9.0, re-parenting, rewrites the child's saved
     * disks to the removed parent's images, which are the merged ones: no redefinition at all; 11.3 keeps them: one,
     * as before). What the removal saves in the journal first has the new images. A recovery repeats the rewrite
     * itself (from the journal, never taken over); a removal that finds nothing to remove makes the rewrite.
     *
     * @return whether the rewrite is left to the removal; false: run it now
     */
    boolean takeOver(Step.RewriteSnapshotImages s) {
        if (parents == null || plan == null) {
            return false;
        }
        int i = plan.indexOf(s);
        Optional<String> parent = parents.getOrDefault(s.name(), Optional.empty());
        if (i < 0 || parent.isEmpty() || !JournalPoints.untilRemoval(plan, i) || inBatch(i)) {
            return false; // only where no journal write records the rewrite done before the removal's own write
        }
        for (Step next : plan.subList(i + 1, plan.size())) {
            if (next instanceof Step.RemoveSnapshot r) {
                if (!r.name().equals(parent.get())) {
                    return false;
                }
                takenOver.computeIfAbsent(s.name(), n -> new LinkedHashMap<>()).putAll(s.images());
                log.debug("'{}' gets its new images with its new parent when '{}' goes", s.name(), r.name());
                return true;
            }
            if (!(next instanceof Step.RewriteSnapshotImages || next instanceof Step.RemoveFile)) {
                return false;
            }
        }
        return false;
    }

    /**
     * @return whether step {@code i} follows merges of several disks run together ({@link ParallelMerges}), whose
     *         steps are recorded as done with the batch (or one by one), before the removal runs
     */
    private boolean inBatch(int i) {
        for (int m = i - 1; m >= 0; m--) {
            if (plan.get(m) instanceof Step.Merge) {
                int first = m;
                while (first > 0 && !(plan.get(first - 1) instanceof Step.RemoveSnapshot)) {
                    first--;
                }
                for (int k = first; k <= m; k++) {
                    if (plan.get(k) instanceof Step.Merge && JournalPoints.mergesFrom(plan, k).size() > 2) {
                        return true;
                    }
                }
                return false;
            }
        }
        return false;
    }

    /**
     * Removes a snapshot's metadata and gives its children its parent. libvirt re-parents the children itself;
     * 9.0 also rewrites their saved disk sources to the removed snapshot's, as if its data had been merged down,
     * and 11.3 does not. ESM merges the other way, so it puts the children's own definitions back (saved in the
     * journal first) wherever the version left them otherwise: right on both without asking which, and without a
     * redefinition (libvirt writes a metadata file for each) where libvirt already left a child as it is to be.
     *
     * <p>On a plan's first run with the planned view known ({@link #knowParents}), the snapshot and its children
     * are read alone (one lookup each); else, and when run again, every snapshot is read.
     */
    void removeSnapshot(String name, boolean again) {
        remove(name, again);
        rewriteTakenOver(); // (a removal that fails leaves them to the plan's abort, which runs the removal again)
    }

    /** Makes the rewrites taken over that the removal did not make: the snapshot's parent was gone already. */
    private void rewriteTakenOver() {
        for (var e : List.copyOf(takenOver.entrySet())) {
            host.redefineSnapshot(domain, SnapshotXml.withImages(host.snapshotXml(domain, e.getKey()), e.getValue()),
                    false);
            takenOver.remove(e.getKey());
        }
    }

    private void remove(String name, boolean again) {
        Map<String, String> saved = new LinkedHashMap<>(again ? journal.saved() : Map.of());
        saved.keySet().forEach(takenOver::remove); // saved with its new images
        boolean exists;
        if (saved.isEmpty()) {
            Optional<Map<String, String>> children = !again && parents != null ? childrenKnown(name)
                    : childrenRead(name);
            if (children.isEmpty()) {
                forget(name);
                return; // removed already
            }
            exists = true;
            saved.putAll(children.get());
            if (!saved.isEmpty()) {
                journal.saving(saved); // with no child, nothing to put back: a repeat reads everything again
            }
        } else {
            exists = host.snapshotXmls(domain).stream().anyMatch(x -> SnapshotXml.parse(x).name().equals(name));
        }
        if (exists) {
            host.deleteSnapshotMetadata(domain, name);
        }
        forget(name);
        for (Map.Entry<String, String> child : saved.entrySet()) {
            if (leftAsItIs(child.getKey(), child.getValue())) {
                log.debug("'{}' was left by libvirt as it is to be: not redefined", child.getKey());
            } else {
                host.redefineSnapshot(domain, child.getValue(), false);
            }
        }
    }

    /** Takes a removed snapshot out of the known parents: its children are its parent's now, as libvirt has them. */
    private void forget(String name) {
        if (parents != null && parents.containsKey(name)) {
            Optional<String> parent = parents.remove(name);
            parents.replaceAll((n, p) -> p.equals(Optional.of(name)) ? parent : p);
        }
    }

    /** @return a child's definition as it is to be: its new parent, and its new images where a rewrite was taken over */
    private String wanted(String child, String xml, Optional<String> parent) {
        Map<String, DiskImage> images = takenOver.remove(child);
        return SnapshotXml.withParent(images == null ? xml : SnapshotXml.withImages(xml, images), parent);
    }

    /** @return whether libvirt has the snapshot defined as {@code wanted} already (one lookup) */
    private boolean leftAsItIs(String name, String wanted) {
        try {
            return SnapshotXml.sameDefinition(host.snapshotXml(domain, name), wanted);
        } catch (SnapshotNotFoundException absent) {
            return false;
        }
    }

    /**
     * @return the children of the snapshot with their definitions as they are to be (its parent theirs), from one
     *         read of every snapshot; empty when the snapshot does not exist
     */
    private Optional<Map<String, String>> childrenRead(String name) {
        // One read of the snapshots answers both questions: does it exist, and who are its children.
        List<dev.esm.core.model.SnapshotDefinition> all = host.snapshotXmls(domain).stream().map(SnapshotXml::parse)
                .toList();
        Optional<dev.esm.core.model.SnapshotDefinition> self = all.stream().filter(d -> d.name().equals(name))
                .findFirst();
        if (self.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> out = new LinkedHashMap<>();
        Optional<String> parent = self.get().parent();
        for (var def : all) {
            if (def.parent().equals(Optional.of(name))) {
                out.put(def.name(), wanted(def.name(), def.xml(), parent));
            }
        }
        return Optional.of(out);
    }

    /**
     * @return the same as {@link #childrenRead}, from the snapshot's own definition and its children's (as the
     *         known parents name them), read now: an earlier step of the plan may have redefined them
     */
    private Optional<Map<String, String>> childrenKnown(String name) {
        String self;
        try {
            self = host.snapshotXml(domain, name);
        } catch (SnapshotNotFoundException absent) {
            return Optional.empty();
        }
        Optional<String> parent = SnapshotXml.parse(self).parent();
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Optional<String>> e : parents.entrySet()) {
            if (e.getValue().equals(Optional.of(name))) {
                out.put(e.getKey(), wanted(e.getKey(), host.snapshotXml(domain, e.getKey()), parent));
            }
        }
        return Optional.of(out);
    }
}
