package dev.esm.core.model;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.SnapshotState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The snapshot tree of one domain, built from its definition, libvirt's snapshots and libvirt's current
 * snapshot. Immutable; thread-safe.
 */
public final class SnapshotTree implements SnapshotChain {
    private final String domain;
    private final Optional<Snapshot> base;
    private final Map<String, Snapshot> byName;
    private final Optional<String> current;
    /** Children by parent name ({@code base} for the roots), oldest first: built once, so reads stay linear. */
    private final Map<String, List<Snapshot>> children;

    private SnapshotTree(String domain, Optional<Snapshot> base, Map<String, Snapshot> byName,
                         Optional<String> current) {
        this.domain = domain;
        this.base = base;
        this.byName = byName;
        this.current = current;
        Map<String, List<Snapshot>> kids = new java.util.HashMap<>();
        for (Snapshot s : byName.values()) {
            kids.computeIfAbsent(s.parent().orElse(DomainSnapshots.BASE), k -> new ArrayList<>()).add(s);
        }
        this.children = kids;
    }

    /**
     * @param def the domain's persistent definition (for ESM's record)
     * @param snapshots libvirt's snapshots of the domain
     * @param libvirtCurrent the name of libvirt's current snapshot, if any
     * @return the tree
     */
    public static SnapshotTree build(DomainDefinition def, List<SnapshotDefinition> snapshots,
                                     Optional<String> libvirtCurrent) {
        Map<String, Snapshot> byName = new LinkedHashMap<>();
        snapshots.stream()
                .sorted(Comparator.comparing(SnapshotDefinition::creationTime).thenComparing(SnapshotDefinition::name))
                .forEach(s -> byName.put(s.name(), s.toApi()));
        Optional<Snapshot> base = def.record()
                .map(r -> new Snapshot(DomainSnapshots.BASE, Optional.empty(), r.frozenAt(), "", SnapshotState.SHUTOFF,
                        r.base(), true))
                .or(() -> byName.values().stream().filter(s -> s.parent().isEmpty()).findFirst()
                        .map(root -> new Snapshot(DomainSnapshots.BASE, Optional.empty(), root.creationTime(), "",
                                SnapshotState.SHUTOFF, root.images(), true)));
        Optional<String> current = libvirtCurrent.filter(byName::containsKey)
                .or(() -> base.map(Snapshot::name));
        return new SnapshotTree(def.name(), base, byName, current);
    }

    @Override
    public String domain() {
        return domain;
    }

    @Override
    public Optional<Snapshot> base() {
        return base;
    }

    @Override
    public List<Snapshot> snapshots() {
        return List.copyOf(byName.values());
    }

    @Override
    public Optional<Snapshot> current() {
        return current.flatMap(this::find);
    }

    @Override
    public Optional<Snapshot> find(String name) {
        if (DomainSnapshots.BASE.equals(name)) {
            return base;
        }
        return Optional.ofNullable(byName.get(name));
    }

    @Override
    public List<Snapshot> children(String name) {
        return List.copyOf(children.getOrDefault(name, List.of()));
    }

    @Override
    public Optional<Snapshot> parent(String name) {
        if (DomainSnapshots.BASE.equals(name)) {
            return Optional.empty();
        }
        Snapshot s = get(name);
        return s.parent().map(this::find).orElse(base);
    }

    /** @return every image a snapshot or the base references (the frozen images) */
    public Set<String> frozenPaths() {
        Set<String> out = new HashSet<>();
        base.ifPresent(b -> b.images().forEach(i -> out.add(i.path())));
        byName.values().forEach(s -> s.images().forEach(i -> out.add(i.path())));
        return out;
    }

    /** @return the frozen images of every snapshot and the base */
    public List<DiskImage> frozenImages() {
        List<DiskImage> out = new ArrayList<>();
        base.ifPresent(b -> out.addAll(b.images()));
        byName.values().forEach(s -> out.addAll(s.images()));
        return out;
    }

    @Override
    public String render() {
        StringBuilder b = new StringBuilder();
        if (base.isEmpty() && byName.isEmpty()) {
            return "(no snapshots; the base is not frozen yet)\n";
        }
        line(b, "", DomainSnapshots.BASE);
        // Depth-first without recursion: a chain may be thousands of snapshots deep.
        record Item(Snapshot snapshot, String indent, boolean last) {
        }
        java.util.Deque<Item> stack = new java.util.ArrayDeque<>();
        push(stack, DomainSnapshots.BASE, "", Item::new);
        while (!stack.isEmpty()) {
            Item it = stack.pop();
            line(b, it.indent() + "+- ", it.snapshot().name());
            push(stack, it.snapshot().name(), it.indent() + (it.last() ? "   " : "|  "), Item::new);
        }
        return b.toString();
    }

    private <T> void push(java.util.Deque<T> stack, String parent, String indent,
                          TriFunction<Snapshot, String, Boolean, T> item) {
        List<Snapshot> kids = children.getOrDefault(parent, List.of());
        for (int i = kids.size() - 1; i >= 0; i--) {
            stack.push(item.apply(kids.get(i), indent, i == kids.size() - 1));
        }
    }

    @FunctionalInterface
    private interface TriFunction<A, B, C, R> {
        R apply(A a, B b, C c);
    }

    private void line(StringBuilder b, String prefix, String name) {
        b.append(prefix).append(name);
        Snapshot s = byName.get(name);
        if (s != null && s.hasMemory()) {
            b.append(" [memory]");
        }
        if (current.filter(name::equals).isPresent()) {
            b.append(" *");
        }
        b.append('\n');
    }

    @Override
    public String toString() {
        return "SnapshotTree[" + domain + ", current=" + current.orElse("-") + ", " + byName.keySet() + "]";
    }
}
