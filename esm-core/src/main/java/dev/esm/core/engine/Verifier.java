package dev.esm.core.engine;

import dev.esm.api.DiskImage;
import dev.esm.api.Finding;
import dev.esm.api.Finding.Kind;
import java.util.Optional;
import dev.esm.api.Snapshot;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.EsmRecord;
import dev.esm.core.model.ImageGraph;
import dev.esm.core.model.SnapshotTree;
import dev.esm.core.plan.Firmware;
import dev.esm.core.plan.DomainView;
import dev.esm.core.port.Host;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a domain's snapshots, images and metadata against each other (docs/semantics.md's invariants 3, 4, 6), and
 * judges every chain as QEMU would open it ({@link ChainOpens}).
 */
final class Verifier {
    private Verifier() {
    }

    static List<Finding> verify(Host host, DomainView v, boolean journal) {
        List<Finding> problems = new ArrayList<>();
        if (journal) {
            problems.add(new Finding(Kind.UNFINISHED_OPERATION, Optional.empty(), Optional.empty(), Optional.empty(),
                    "an operation was interrupted and is not finished yet: run recover"));
        }
        SnapshotTree tree = v.tree();
        ImageGraph g = v.graph();
        Set<String> referenced = new HashSet<>();
        List<Snapshot> all = new ArrayList<>(tree.snapshots());
        tree.base().ifPresent(all::add);
        for (Snapshot s : all) {
            for (DiskImage img : s.images()) {
                if (!host.storage().exists(img.path())) {
                    problems.add(new Finding(Kind.IMAGE_MISSING, Optional.of(s.name()), Optional.of(img.target()),
                            Optional.of(img.path()), "snapshot '" + s.name() + "': image " + img.path() + " of "
                            + img.target() + " is missing"));
                    continue;
                }
                List<String> chain = g.chain(img.path());
                referenced.addAll(chain);
                tree.base().flatMap(b -> b.image(img.target())).ifPresent(b -> {
                    if (!chain.contains(b.path())) {
                        problems.add(new Finding(Kind.CHAIN_OFF_BASE, Optional.of(s.name()), Optional.of(img.target()),
                                Optional.of(img.path()), "snapshot '" + s.name() + "': the chain of " + img.target()
                                + " does not end at the base image " + b.path() + " (it is " + chain + ")"));
                    }
                });
            }
        }
        for (Firmware.State state : Firmware.State.values()) {
            // The domain's own file belongs to it (a move into a folder puts one from elsewhere in ESM's folder).
            state.fileOf(v.persistent()).ifPresent(referenced::add);
            if (state.fileOf(v.persistent()).isPresent()) {
                // Each snapshot's (and setup's base's) copy of the firmware state belongs to it.
                all.forEach(s -> Firmware.copyOf(state, v.persistent().record(), s).ifPresent(referenced::add));
            }
        }
        for (Snapshot s : tree.snapshots()) {
            s.memoryFile().ifPresent(m -> {
                referenced.add(m);
                if (!host.storage().exists(m)) {
                    problems.add(new Finding(Kind.MEMORY_FILE_MISSING, Optional.of(s.name()), Optional.empty(), Optional.of(m),
                            "snapshot '" + s.name() + "': its memory file " + m + " is missing (its disks can"
                            + " still be reverted to, not its running state)"));
                }
            });
        }
        DomainDefinition def = v.active();
        Set<String> frozen = tree.frozenPaths();
        Set<String> unnamed = v.persistent().record().map(r -> r.unnamed().stream().map(DiskImage::path)
                .collect(java.util.stream.Collectors.toSet())).orElse(Set.of());
        for (DiskImage a : def.activeImages()) {
            if (frozen.contains(a.path()) && !tree.snapshots().isEmpty()) {
                problems.add(new Finding(Kind.ACTIVE_IMAGE_FROZEN, Optional.empty(), Optional.of(a.target()),
                        Optional.of(a.path()), "the active image " + a.path() + " of " + a.target()
                        + " is also a snapshot's frozen image: writes would change that snapshot"));
            }
            if (!host.storage().exists(a.path())) {
                problems.add(new Finding(Kind.IMAGE_MISSING, Optional.empty(), Optional.of(a.target()), Optional.of(a.path()),
                        "the active image " + a.path() + " of " + a.target() + " is missing: the domain cannot start"));
                continue;
            }
            List<String> chain = g.chain(a.path());
            referenced.addAll(chain);
            tree.current().flatMap(c -> c.image(a.target())).ifPresent(f -> {
                // On the current image, or on an image of its chain: a pull (DepthLimit) took in the data above it.
                // Unnamed images between count as the active layer's own (a deleted current snapshot's, say).
                Optional<String> below = chain.stream().skip(1).filter(p -> !unnamed.contains(p)).findFirst();
                boolean pulled = below.isPresent() && g.chain(f.path()).contains(below.get());
                if (!chain.contains(f.path()) && !pulled) {
                    problems.add(new Finding(Kind.ACTIVE_OFF_CURRENT, tree.current().map(Snapshot::name), Optional.of(a.target()),
                            Optional.of(a.path()), "the active layer of " + a.target() + " does not stand on the"
                            + " current snapshot's image " + f.path()));
                }
            });
        }
        new ChainOpens(host.storage(), problems).check(v);
        v.persistent().record().flatMap(EsmRecord::disksDir).ifPresent(dir -> {
            for (String f : host.storage().list(dir)) {
                if (!referenced.contains(f)) {
                    problems.add(new Finding(Kind.STRAY_FILE, Optional.empty(), Optional.empty(), Optional.of(f),
                            "file " + f + " in " + dir + " belongs to no snapshot and no active layer"));
                }
            }
        });
        return problems;
    }
}
