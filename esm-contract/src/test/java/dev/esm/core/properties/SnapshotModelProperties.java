package dev.esm.core.properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import dev.esm.core.contract.Invariants;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Random sequences of write / create / revert / refresh / delete / commit (and, on a running domain, RAM writes,
 * memory snapshots and reverts to running) on the in-memory host keep docs/semantics.md's invariants
 * after every action: 1 (every snapshot reads what it read when taken), 2 (nothing writes into an image that
 * backs another), 3 (every referenced image exists, every chain ends at the base), 4 (no orphan in the disks
 * folder), 6 (libvirt's metadata agrees), and the domain reads what the last create / revert / refresh promised.
 */
class SnapshotModelProperties {

    /** The system under test and what it must show. */
    static final class World {
        final FakeBed bed = new FakeBed();
        final String dom;
        final DomainSnapshots d;
        final boolean setUp;
        final Map<String, Map<String, Integer>> expected = new HashMap<>();
        final Map<String, Integer> active = new HashMap<>(Map.of("vda", 0, "vdb", 0));
        String current;
        int names;
        /** Whether the domain runs (the memory chains keep it running), and the RAM pattern it must hold. */
        boolean running;
        int ram;
        /** The RAM pattern of each memory snapshot. */
        final Map<String, Integer> ramAt = new HashMap<>();

        /** The depth limit of the manager under test; 0 for the default. */
        final int limit;

        /** A set-up domain, started (for the memory chains). */
        static World running() {
            return running(0);
        }

        /** A set-up domain, started, on a manager with a depth limit (0: the default). */
        static World running(int limit) {
            World w = new World(true, limit);
            w.bed.start(w.dom);
            w.running = true;
            return w;
        }

        World(boolean setUp) {
            this(setUp, 0);
        }

        World(boolean setUp, int limit) {
            dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2"), DiskSpec.raw("vdb", "data.img"),
                    DiskSpec.cdrom("hdc", "cd.iso")));
            this.limit = limit;
            d = (limit > 0 ? bed.manager(b -> b.maxChainDepth(limit)) : bed.manager()).domain(dom);
            this.setUp = setUp;
            if (setUp) {
                d.setup(bed.folder(dom) + "/esm").execute();
                expected.put("base", Map.copyOf(active));
                current = "base";
            }
        }

        List<String> targets() {
            List<String> out = new ArrayList<>(expected.keySet());
            out.sort(null);
            return out;
        }

        void check() {
            Invariants.check(bed, dom, expected);
            assertEquals(List.of(), bed.storage().violations(), "writes into images that back others (invariant 2)");
            for (Map.Entry<String, Integer> e : active.entrySet()) {
                assertTrue(bed.reads(dom, e.getKey(), e.getValue()), "disk " + e.getKey() + " should read "
                        + e.getValue());
            }
            assertEquals(current, d.chain().current().map(Snapshot::name).orElse(null));
            if (limit > 0) {
                assertTrue(d.chainLength() <= limit, "a chain of " + d.chainLength() + " images, over " + limit);
            }
            if (running) {
                assertTrue(bed.memoryReads(dom, ram), "the RAM should hold " + ram);
            }
        }

        List<String> withMemory() {
            return targets().stream().filter(ramAt::containsKey).toList();
        }

        @Override
        public String toString() {
            return "World[" + (setUp ? "set up" : "plain") + ", current=" + current + ", " + targets() + "]";
        }
    }

    static final class Write implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.of("vda", "vdb").flatMap(disk -> Arbitraries.integers().between(1, 250)
                    .map(p -> Transformer.mutate("write " + p + " to " + disk, w -> {
                        w.bed.write(w.dom, disk, p);
                        w.active.put(disk, p);
                    })));
        }
    }

    static final class Create implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.just(Transformer.mutate("create", w -> {
                String name = "s" + (++w.names);
                if (!w.setUp && w.expected.isEmpty()) {
                    w.expected.put("base", Map.copyOf(w.active));
                }
                w.d.snapshot(name).create();
                w.expected.put(name, Map.copyOf(w.active));
                w.current = name;
            }));
        }
    }

    static final class Revert implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return !w.expected.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Arbitraries.of(w.targets()).map(t -> Transformer.mutate("revert " + t, x -> {
                x.d.revert(t).execute();
                x.active.clear();
                x.active.putAll(x.expected.get(t));
                x.current = t;
            }));
        }
    }

    static final class Refresh implements Action.Independent<World> {
        @Override
        public boolean precondition(World w) {
            return w.current != null;
        }

        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.just(Transformer.mutate("refresh", w -> {
                w.d.refresh().execute();
                w.active.clear();
                w.active.putAll(w.expected.get(w.current));
            }));
        }
    }

    static final class Delete implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return w.expected.keySet().stream().anyMatch(n -> !n.equals("base"));
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            List<String> names = w.targets().stream().filter(n -> !n.equals("base")).toList();
            return Arbitraries.of(names).map(n -> Transformer.mutate("delete " + n, x -> {
                String parent = x.d.chain().parent(n).map(Snapshot::name).orElse("base");
                x.d.delete(n).execute();
                x.expected.remove(n);
                if (n.equals(x.current)) {
                    x.current = parent;
                }
            }));
        }
    }

    static final class Commit implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return w.expected.keySet().stream().anyMatch(n -> !n.equals("base"));
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            List<String> names = w.targets().stream().filter(n -> !n.equals("base")).toList();
            // Read now, not when jqwik evaluates the flat map (in shrinking, on another world's state).
            var tree = w.d.chain();
            Map<String, List<String>> ancestorsOf = new HashMap<>();
            for (String top : names) {
                List<String> ancestors = new ArrayList<>();
                for (var p = tree.parent(top); p.isPresent(); p = tree.parent(p.get().name())) {
                    ancestors.add(p.get().name());
                }
                ancestorsOf.put(top, ancestors);
            }
            return Arbitraries.of(names).flatMap(top -> {
                List<String> ancestors = ancestorsOf.get(top);
                return Arbitraries.of(ancestors).map(base -> Transformer.mutate("commit " + base + " " + top, x -> {
                    List<String> removed = new ArrayList<>();
                    for (String c = top; !c.equals(base); c = x.d.chain().parent(c).map(Snapshot::name).orElseThrow()) {
                        removed.add(c);
                    }
                    try {
                        x.d.commit(base, top).execute();
                    } catch (dev.esm.api.errors.InvalidOperationException refused) {
                        return; // a branch stands on the range: refused, nothing changed (checked by the invariant)
                    }
                    removed.forEach(x.expected::remove);
                    if (removed.contains(x.current)) {
                        x.current = base;
                    }
                }));
            });
        }
    }

    static final class WriteRam implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.integers().between(1, 250).map(p -> Transformer.mutate("write " + p + " to RAM", w -> {
                w.bed.writeMemory(w.dom, p);
                w.ram = p;
            }));
        }
    }

    static final class CreateMemory implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.just(Transformer.mutate("create with memory", w -> {
                String name = "m" + (++w.names);
                w.d.snapshot(name).memory().create();
                w.expected.put(name, Map.copyOf(w.active));
                w.ramAt.put(name, w.ram);
                w.current = name;
            }));
        }
    }

    static final class RevertRunning implements Action.Dependent<World> {
        @Override
        public boolean precondition(World w) {
            return !w.withMemory().isEmpty();
        }

        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Arbitraries.of(w.withMemory()).map(t -> Transformer.mutate("revert " + t + " running", x -> {
                x.d.revert(t).running().execute();
                x.active.clear();
                x.active.putAll(x.expected.get(t));
                x.ram = x.ramAt.get(t);
                x.current = t;
            }));
        }
    }

    /** A cold revert of a running domain, started again afresh (its RAM then empty). */
    static final class RevertCold implements Action.Dependent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer(World w) {
            return Arbitraries.of(w.targets()).map(t -> Transformer.mutate("revert " + t + " cold, start", x -> {
                x.d.revert(t).stopIfRunning().start().execute();
                x.active.clear();
                x.active.putAll(x.expected.get(t));
                x.ram = 0;
                x.current = t;
            }));
        }
    }

    @Provide
    Arbitrary<ActionChain<World>> runningChains() {
        return ActionChain.startWith(World::running)
                .withAction(3, new Write()).withAction(2, new WriteRam()).withAction(1, new Create())
                .withAction(2, new CreateMemory()).withAction(2, new RevertRunning()).withAction(1, new RevertCold())
                .withAction(2, new Delete()).withAction(1, new Commit())
                .withMaxTransformations(30);
    }

    @Property(tries = 60)
    void aRunningDomainWithMemorySnapshotsKeepsEveryInvariantAndItsRamUnderRandomOperations(
            @ForAll("runningChains") ActionChain<World> chain) {
        chain.withInvariant("docs/semantics.md invariants and the RAM", World::check).run();
    }

    @Provide
    Arbitrary<ActionChain<World>> setUpChains() {
        return ActionChain.startWith(() -> new World(true))
                .withAction(3, new Write()).withAction(2, new Create()).withAction(2, new Revert())
                .withAction(1, new Refresh()).withAction(2, new Delete()).withAction(1, new Commit())
                .withMaxTransformations(30);
    }

    @Provide
    Arbitrary<ActionChain<World>> plainChains() {
        return ActionChain.startWith(() -> new World(false))
                .withAction(3, new Write()).withAction(2, new Create()).withAction(2, new Revert())
                .withAction(1, new Refresh()).withAction(2, new Delete()).withAction(1, new Commit())
                .withMaxTransformations(30);
    }

    @Property(tries = 60)
    void aSetUpDomainKeepsEveryInvariantUnderRandomOperations(@ForAll("setUpChains") ActionChain<World> chain) {
        chain.withInvariant("docs/semantics.md invariants", World::check).run();
    }

    @Provide
    Arbitrary<ActionChain<World>> shallowChains() {
        return ActionChain.startWith(() -> new World(true, 4))
                .withAction(3, new Write()).withAction(4, new Create()).withAction(2, new Revert())
                .withAction(1, new Refresh()).withAction(1, new Delete()).withAction(1, new Commit())
                .withMaxTransformations(30);
    }

    @Provide
    Arbitrary<ActionChain<World>> shallowRunningChains() {
        return ActionChain.startWith(() -> World.running(4))
                .withAction(3, new Write()).withAction(2, new WriteRam()).withAction(3, new Create())
                .withAction(2, new CreateMemory()).withAction(2, new RevertRunning()).withAction(1, new RevertCold())
                .withAction(1, new Delete()).withAction(1, new Commit())
                .withMaxTransformations(30);
    }

    @Property(tries = 60)
    void aDomainWhoseChainsAreKeptToFourImagesKeepsEveryInvariantUnderRandomOperations(
            @ForAll("shallowChains") ActionChain<World> chain) {
        chain.withInvariant("docs/semantics.md invariants and the depth limit", World::check).run();
    }

    @Property(tries = 40)
    void aRunningDomainWhoseChainsAreKeptToFourImagesKeepsEveryInvariantAndItsRam(
            @ForAll("shallowRunningChains") ActionChain<World> chain) {
        chain.withInvariant("docs/semantics.md invariants, the RAM and the depth limit", World::check).run();
    }

    @Property(tries = 60)
    void aDomainWithoutSetupKeepsEveryInvariantUnderRandomOperations(@ForAll("plainChains") ActionChain<World> chain) {
        chain.withInvariant("docs/semantics.md invariants", World::check).run();
    }
}
