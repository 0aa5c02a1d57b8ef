package dev.esm.core.plan;

import dev.esm.api.DiskImage;
import dev.esm.api.Operation;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.Names;
import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.xml.XmlPaths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Plans a move or a replication of a domain to another host, pure: which files travel (a frozen one the target's
 * {@link ReplicaRecord} holds does not), where each goes, the definitions as the target names files, and for a move
 * the removal here after the target is verified. Stateless.
 */
public final class TransferPlanner {
    private TransferPlanner() {
    }

    /**
     * What the planner is given.
     *
     * @param operation {@link Operation#MOVE} or {@link Operation#REPLICATE}
     * @param domain the domain's persistent definition here
     * @param snapshots its snapshots
     * @param current its current snapshot
     * @param files every file it has here ({@code TransferReads})
     * @param directory where its files go on the target; empty for the same paths
     * @param held what the target holds from earlier runs
     * @param shared whether the target sees this host's files at the same paths (shared storage): then only the
     *               definitions travel
     * @param live for a move of a running domain: how its migration's streams reach the target (empty for
     *             libvirt's default); empty for an offline move or a replication
     * @param pausedHere the domain is paused here (and stays paused there)
     */
    public record Input(Operation operation, DomainDefinition domain, List<SnapshotDefinition> snapshots,
                        Optional<String> current, List<TransferFile> files, Optional<String> directory,
                        ReplicaRecord held, boolean shared, Optional<Optional<String>> live, boolean pausedHere) {
        public Input {
            snapshots = List.copyOf(snapshots);
            files = List.copyOf(files);
        }

        /** An offline move or a replication. */
        public Input(Operation operation, DomainDefinition domain, List<SnapshotDefinition> snapshots,
                     Optional<String> current, List<TransferFile> files, Optional<String> directory,
                     ReplicaRecord held, boolean shared) {
            this(operation, domain, snapshots, current, files, directory, held, shared, Optional.empty(), false);
        }
    }

    /**
     * @param in what to plan from
     * @return the plan
     * @throws InvalidOperationException when two files would land on one path on the target
     */
    public static TransferPlan plan(Input in) {
        boolean move = in.operation() == Operation.MOVE;
        boolean live = move && in.live().isPresent();
        if (live && in.shared()) {
            throw new InvalidOperationException("the target sees this host's files (shared storage): a live move there"
                    + " is libvirt's own migration without snapshots; move it shut off, or migrate it with libvirt");
        }
        if (in.shared() && in.directory().isPresent()) {
            throw new InvalidOperationException("the target sees this host's files (shared storage), so they stay"
                    + " where they are: leave out the folder");
        }
        if (in.shared() && !move) {
            throw new InvalidOperationException("the target sees this host's files (shared storage): a standby there"
                    + " would share the domain's disks; replicate to a host with storage of its own");
        }
        Map<String, String> moved = paths(in);
        List<TransferStep> steps = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        List<TransferStep> rebases = new ArrayList<>(); // after every copy: a backing file is copied after its child
        List<TransferFile> ordered = new ArrayList<>(in.files());
        ordered.sort(Comparator.comparing(f -> f.frozen().isEmpty())); // frozen files first
        Optional<String> tpmState = in.domain().tpmState();
        for (TransferFile f : in.shared() ? List.<TransferFile>of() : ordered) {
            String to = moved.get(f.path());
            if (live && tpmState.filter(f.path()::equals).isPresent()) {
                continue; // the migration carries the TPM's state (QEMU's stream), and libvirt writes it there
            }
            if ((!move || live) && f.activeLayer()) {
                DiskImage backing = f.backing().orElseThrow(() -> new InvalidOperationException("the active layer "
                        + f.path() + " has no backing image: run setup on the domain first")).image();
                steps.add(new TransferStep.Overlay(to, new DiskImage(backing.target(),
                        moved.getOrDefault(backing.path(), backing.path()), backing.format())));
                continue;
            }
            boolean held = f.frozen().isPresent() && in.held().entry(to)
                    .filter(e -> e.frozen().equals(f.frozen().get()) && e.size() == f.size()).isPresent();
            if (held) {
                kept.add(to);
                continue;
            }
            steps.add(new TransferStep.Copy(f.path(), to, f.size(), f.frozen()));
            f.backing().filter(b -> !b.relative() && !moved.getOrDefault(b.image().path(), b.image().path())
                    .equals(b.image().path())).ifPresent(b -> rebases.add(new TransferStep.Rebase(to, new DiskImage(
                    b.image().target(), moved.get(b.image().path()), b.image().format()))));
        }
        steps.addAll(rebases);
        Set<String> wanted = new HashSet<>(moved.values());
        for (String old : in.held().paths()) {
            if (!wanted.contains(old)) {
                steps.add(new TransferStep.RemoveOnTarget(old));
            }
        }
        List<SnapshotDefinition> ordered2 = parentsFirst(in.snapshots());
        if (live) {
            steps.add(new TransferStep.Aside(ordered2.stream().map(SnapshotDefinition::xml).toList(), in.current()));
            // The guest may write its firmware variables while it migrates: they are copied again after, in place,
            // while it waits paused there (not for a domain paused here: it stays paused there, and nothing writes).
            Optional<String> firmware = in.pausedHere() ? Optional.empty() : in.domain().nvram()
                    .filter(n -> in.files().stream().anyMatch(f -> f.path().equals(n)));
            steps.add(new TransferStep.Migrate(in.domain().eligibleDisks().stream().map(d -> d.target()).toList(),
                    in.live().get(), firmware));
            firmware.ifPresent(n -> {
                steps.add(new TransferStep.Firmware(n, moved.get(n)));
                steps.add(new TransferStep.Resume());
            });
        } else {
            steps.add(new TransferStep.Define(XmlPaths.relocate(in.domain().xml(), moved)));
        }
        steps.add(new TransferStep.Redefine(ordered2.stream()
                .map(s -> XmlPaths.relocate(s.xml(), moved)).toList(), in.current()));
        steps.add(new TransferStep.Verify());
        if (move) {
            steps.add(new TransferStep.Undefine());
            for (TransferFile f : in.shared() ? List.<TransferFile>of() : in.files()) {
                steps.add(new TransferStep.RemoveHere(f.path()));
            }
        }
        return new TransferPlan(in.operation(), in.domain().name(), steps, kept, moved);
    }

    /**
     * @return each file's path on the target (and ESM's folder's, for the record in the definition): in the folder
     *         given, if any, except an emulated TPM's state, which stays where libvirt keeps it for the domain
     */
    static Map<String, String> paths(Input in) {
        Map<String, String> moved = new LinkedHashMap<>();
        Optional<String> esmDir = in.domain().record().flatMap(r -> r.disksDir()).map(Names::stripTrailingSlash);
        Map<String, String> taken = new HashMap<>();
        Optional<String> tpmState = in.domain().tpmState();
        for (TransferFile f : in.files()) {
            // An emulated TPM's state is where libvirt keeps it for the domain's UUID (the same on the target).
            Optional<String> folder = tpmState.filter(f.path()::equals).isPresent() ? Optional.empty()
                    : in.directory();
            String to = folder.map(Names::stripTrailingSlash).map(dir -> {
                if (esmDir.isPresent() && f.path().startsWith(esmDir.get() + "/")) {
                    return dir + f.path().substring(esmDir.get().length());
                }
                return Names.join(dir, Names.fileName(f.path()));
            }).orElse(f.path());
            String before = taken.putIfAbsent(to, f.path());
            if (before != null && !before.equals(f.path())) {
                throw new InvalidOperationException("'" + before + "' and '" + f.path() + "' would both be " + to
                        + " on the target: choose the same paths (no folder) or rename one of them");
            }
            moved.put(f.path(), to);
        }
        esmDir.ifPresent(d -> moved.put(d, in.directory().map(Names::stripTrailingSlash).orElse(d)));
        return moved;
    }

    /** @return the snapshots with every parent before its children */
    static List<SnapshotDefinition> parentsFirst(List<SnapshotDefinition> snapshots) {
        Map<String, SnapshotDefinition> byName = new LinkedHashMap<>();
        snapshots.forEach(s -> byName.put(s.name(), s));
        List<SnapshotDefinition> out = new ArrayList<>();
        Set<String> placed = new HashSet<>();
        for (SnapshotDefinition s : snapshots) {
            place(s, byName, placed, out);
        }
        return out;
    }

    private static void place(SnapshotDefinition s, Map<String, SnapshotDefinition> byName, Set<String> placed,
                              List<SnapshotDefinition> out) {
        // Iterative: a line of thousands of snapshots must not overflow the stack.
        List<SnapshotDefinition> line = new ArrayList<>();
        for (SnapshotDefinition at = s; at != null && !placed.contains(at.name());
             at = at.parent().map(byName::get).orElse(null)) {
            line.add(at);
            placed.add(at.name());
        }
        for (int i = line.size() - 1; i >= 0; i--) {
            out.add(line.get(i));
        }
    }
}
