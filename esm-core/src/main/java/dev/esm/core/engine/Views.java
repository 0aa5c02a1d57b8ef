package dev.esm.core.engine;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainState;
import dev.esm.api.errors.SnapshotNotFoundException;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.ImageGraph;
import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.SetupFacts;
import dev.esm.core.port.Host;
import dev.esm.core.port.Storage;
import dev.esm.core.xml.DomainXml;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads what planning needs of one domain through the port: the state and definitions, all snapshots or only the
 * few an operation needs, and the image graph (one header read per image). Snapshot XMLs already parsed are taken
 * from the domain's {@link ParsedSnapshots}. Thread-safe as far as the port is (the memo is thread-safe).
 */
final class Views {
    private final Host host;
    private final String domain;
    private final ParsedSnapshots parsed;
    private final TreeIndex index;

    Views(Host host, String domain, ParsedSnapshots parsed, TreeIndex index) {
        this.host = host;
        this.domain = domain;
        this.parsed = parsed;
        this.index = index;
    }

    /** @return the state and the definitions, no snapshot yet: what every view starts from */
    DomainView bare() {
        DomainState state = host.state(domain);
        DomainDefinition persistent = DomainXml.parse(host.domainXml(domain, false));
        Optional<DomainDefinition> live = state.isActive() ? Optional.of(DomainXml.parse(host.domainXml(domain, true)))
                : Optional.empty();
        return new DomainView(state, persistent, live, List.of(), Optional.empty());
    }

    /** @return {@code bare} with the given snapshots and libvirt's current snapshot */
    static DomainView with(DomainView bare, List<SnapshotDefinition> snapshots, Optional<String> current) {
        return new DomainView(bare.state(), bare.persistent(), bare.live(), snapshots, current);
    }

    /** @return {@code bare} with every snapshot */
    DomainView complete(DomainView bare) {
        return with(bare, parsed.parse(host.snapshotXmls(domain)), host.currentSnapshot(domain));
    }

    /**
     * @return what a whole-tree read shows (the API's {@code chain()}): the snapshots from the domain's
     *         {@link TreeIndex} when it agrees with libvirt, else read in full; not for planning (no snapshot XML)
     */
    DomainView forTree() {
        DomainView bare = bare();
        TreeIndex.Snapshots s = index.read();
        return with(bare, s.definitions(), s.current());
    }

    /** @return everything planning needs, in one round of calls */
    DomainView view() {
        return complete(bare());
    }

    /**
     * The snapshot tree after a delete's or commit's plan ran on the domain read as {@code before} (complete, under
     * the domain's lock, which is still held): the persistent definition and libvirt's current snapshot read again,
     * of the snapshots only those the plan redefined read again (one lookup each: images rewritten, children of a
     * removed one re-parented, made current or put back), the removed ones left out and every other one as read
     * before. A plan with a step of any other kind that could touch snapshot metadata has the whole tree read again.
     *
     * @param steps the plan's steps, all run
     * @param before the view the plan was made from
     * @return the tree as libvirt has it now
     */
    dev.esm.core.model.SnapshotTree treeAfter(List<dev.esm.core.plan.Step> steps, DomainView before) {
        Map<String, Optional<String>> parents = new java.util.LinkedHashMap<>();
        before.snapshots().forEach(d -> parents.put(d.name(), d.parent()));
        java.util.Set<String> touched = new java.util.HashSet<>();
        for (dev.esm.core.plan.Step s : steps) {
            if (s instanceof dev.esm.core.plan.Step.RemoveSnapshot r) {
                Optional<String> parent = parents.remove(r.name());
                parents.replaceAll((n, p) -> {
                    if (p.equals(Optional.of(r.name()))) {
                        touched.add(n);
                        return parent;
                    }
                    return p;
                });
            } else if (s instanceof dev.esm.core.plan.Step.RewriteSnapshotImages r) {
                touched.add(r.name());
            } else if (s instanceof dev.esm.core.plan.Step.SetCurrent c) {
                touched.add(c.name());
            } else if (s instanceof dev.esm.core.plan.Step.ClearCurrent c) {
                touched.add(c.root());
                touched.addAll(c.rootChildren());
            } else if (!(s instanceof dev.esm.core.plan.Step.Merge || s instanceof dev.esm.core.plan.Step.Rebase
                    || s instanceof dev.esm.core.plan.Step.RemoveFile || s instanceof dev.esm.core.plan.Step.DefineDomain
                    || s instanceof dev.esm.core.plan.Step.Pull)) {
                return view().tree();
            }
        }
        DomainDefinition persistent = DomainXml.parse(host.domainXml(domain, false));
        List<SnapshotDefinition> now = new ArrayList<>();
        for (SnapshotDefinition d : before.snapshots()) {
            if (parents.containsKey(d.name())) {
                now.add(touched.contains(d.name()) ? parsed.parseOne(host.snapshotXml(domain, d.name())) : d);
            }
        }
        return dev.esm.core.model.SnapshotTree.build(persistent, now, host.currentSnapshot(domain));
    }

    /** @return the snapshot's definition, if it exists (one lookup) */
    Optional<SnapshotDefinition> snapshot(String name) {
        try {
            return Optional.of(parsed.parseOne(host.snapshotXml(domain, name)));
        } catch (SnapshotNotFoundException absent) {
            return Optional.empty();
        }
    }

    /** @return the view with the image graph: every image's header read (one call per image) */
    DomainView withGraph() {
        return graphed(view(), false);
    }

    /**
     * @param v a complete view
     * @param tolerant treat an unreadable image as one without backing (for verify), instead of failing
     * @return the view with its image graph
     */
    DomainView graphed(DomainView v, boolean tolerant) {
        List<DiskImage> tops = new ArrayList<>(v.persistent().activeImages());
        v.live().ifPresent(l -> tops.addAll(l.activeImages()));
        tops.addAll(v.tree().frozenImages());
        v.persistent().record().ifPresent(r -> tops.addAll(r.unnamed()));
        Storage storage = host.storage();
        ImageGraph g = ImageGraph.walk(tops, (path, format) -> {
            try {
                return storage.backing(path, format);
            } catch (RuntimeException e) {
                if (tolerant) {
                    return Optional.empty();
                }
                throw e;
            }
        });
        return v.withGraph(g);
    }

    /** @return whether the domain's record names images that are in no snapshot (their graph must be read) */
    static boolean hasUnnamed(DomainView v) {
        return v.persistent().record().map(r -> !r.unnamed().isEmpty()).orElse(false);
    }

    /** @return what setup must know of the images it would move: which are links, which name their backing how */
    SetupFacts setupFacts(DomainView v) {
        Storage storage = host.storage();
        Map<String, String> links = new HashMap<>();
        Map<String, SetupFacts.Backing> backings = new HashMap<>();
        for (var disk : v.persistent().eligibleDisks()) {
            if (disk.isBlock() || disk.image().isEmpty()) {
                continue;
            }
            DiskImage img = disk.image().get();
            if (!storage.exists(img.path())) {
                continue; // the planner and the steps name a missing image
            }
            storage.symbolicLink(img.path()).ifPresent(l -> links.put(img.path(), l));
            storage.backingReference(img.path(), img.format()).ifPresent(ref -> {
                DiskImage resolved = storage.backing(img.path(), img.format()).orElseThrow();
                backings.put(img.path(), new SetupFacts.Backing(ref.name(), resolved, ref.format().isPresent()));
            });
        }
        return new SetupFacts(links, backings);
    }
}
