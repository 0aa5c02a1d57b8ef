package dev.esm.core.engine;

import dev.esm.core.plan.Step;
import dev.esm.core.port.Host;
import dev.esm.core.xml.SnapshotXml;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The steps that remove snapshot metadata from libvirt and put back the definitions libvirt would get wrong, saved in
 * the journal first so that a step run again after a stop puts back the same ones: a snapshot removed
 * ({@link Step.RemoveSnapshot}), and no snapshot made current ({@link Step.ClearCurrent}, done by removing a root's).
 * Not thread-safe: on the thread that runs the plan (the journal is written from there).
 */
final class SnapshotRemoval {
    private final Host host;
    private final String domain;
    private final JournalKeeper journal;

    SnapshotRemoval(Host host, String domain, JournalKeeper journal) {
        this.host = host;
        this.domain = domain;
        this.journal = journal;
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
     * Removes a snapshot's metadata and gives its children its parent. libvirt re-parents the children itself;
     * 9.0 also rewrites their saved disk sources to the removed snapshot's, as if its data had been merged down,
     * and 11.3 does not. ESM merges the other way, so it puts the children's own definitions back (saved in the
     * journal first) whatever the version did: right on both without asking which.
     */
    void removeSnapshot(String name, boolean again) {
        Map<String, String> saved = new LinkedHashMap<>(again ? journal.saved() : Map.of());
        // One read of the snapshots answers both questions: does it exist, and who are its children.
        List<dev.esm.core.model.SnapshotDefinition> all = host.snapshotXmls(domain).stream().map(SnapshotXml::parse)
                .toList();
        Optional<dev.esm.core.model.SnapshotDefinition> self = all.stream().filter(d -> d.name().equals(name))
                .findFirst();
        if (saved.isEmpty()) {
            if (self.isEmpty()) {
                return;
            }
            Optional<String> parent = self.get().parent();
            for (var def : all) {
                if (def.parent().equals(Optional.of(name))) {
                    saved.put(def.name(), SnapshotXml.withParent(def.xml(), parent));
                }
            }
            journal.saving(saved);
        }
        if (self.isPresent()) {
            host.deleteSnapshotMetadata(domain, name);
        }
        for (String child : saved.values()) {
            host.redefineSnapshot(domain, child, false);
        }
    }
}
