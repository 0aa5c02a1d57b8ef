package dev.esm.core.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.esm.api.DomainSnapshots;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import dev.esm.core.contract.Invariants;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every operation and every step boundary: fail there (the executor undoes or aborts), or halt there (as a
 * process killed at that point; a new manager then recovers from the journal). Afterwards docs/semantics.md's
 * invariants hold, every surviving snapshot reads its own content, the current state reads what it read before
 * or what the operation promised, and the operation took full effect or none.
 */
class FaultInjectionTest {
    /** Stands for a process killed between two steps: an Error, so the executor neither undoes nor aborts. */
    static final class Halt extends Error {
        private static final long serialVersionUID = 1L;
    }

    static final int A = 0x41;
    static final int B = 0x42;
    static final int C = 0x43;
    static final int D = 0x44;
    static final int E = 0x45;
    static final int F = 0x46;

    /**
     * @param firmware the domain has firmware state, each snapshot a copy of it (and it runs, for a create)
     * @param tpm that state is an emulated TPM's (else UEFI variables)
     */
    record Scenario(String name, boolean setUp, boolean memory, boolean firmware, boolean tpm,
                    Consumer<DomainSnapshots> op, java.util.function.Function<DomainSnapshots, dev.esm.api.Plan> plan,
                    int limit) {
        Scenario(String name, boolean setUp, Consumer<DomainSnapshots> op,
                 java.util.function.Function<DomainSnapshots, dev.esm.api.Plan> plan) {
            this(name, setUp, false, false, false, op, plan, 0);
        }

        Scenario(String name, boolean setUp, boolean memory, Consumer<DomainSnapshots> op,
                 java.util.function.Function<DomainSnapshots, dev.esm.api.Plan> plan) {
            this(name, setUp, memory, false, false, op, plan, 0);
        }

        static Scenario firmware(String name, boolean setUp, Consumer<DomainSnapshots> op,
                                 java.util.function.Function<DomainSnapshots, dev.esm.api.Plan> plan) {
            return new Scenario(name, setUp, false, true, false, op, plan, 0);
        }

        static Scenario tpm(String name, boolean setUp, boolean memory, Consumer<DomainSnapshots> op,
                            java.util.function.Function<DomainSnapshots, dev.esm.api.Plan> plan) {
            return new Scenario(name, setUp, memory, true, true, op, plan, 0);
        }

        /** A scenario whose world is made without a depth limit and then run with {@code limit}: its plan pulls. */
        static Scenario deep(String name, boolean memory, int limit, Consumer<DomainSnapshots> op,
                             java.util.function.Function<DomainSnapshots, dev.esm.api.Plan> plan) {
            return new Scenario(name, true, memory, false, false, op, plan, limit);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final AtomicInteger POINTS = new AtomicInteger();

    static List<Scenario> scenarios() {
        return List.of(
                new Scenario("setup", false, d -> d.setup("/fake/esm").execute(), d -> d.setup("/fake/esm").plan()),
                Scenario.firmware("setup-firmware", false, d -> d.setup("/fake/esm").execute(),
                        d -> d.setup("/fake/esm").plan()),
                Scenario.firmware("create-firmware-running", true, d -> d.snapshot("new").create(),
                        d -> d.snapshot("new").plan()),
                Scenario.firmware("revert-firmware", true, d -> d.revert("s2").stopIfRunning().execute(),
                        d -> d.revert("s2").stopIfRunning().plan()),
                Scenario.firmware("delete-middle-firmware", true, d -> d.delete("s3").execute(),
                        d -> d.delete("s3").plan()),
                Scenario.tpm("setup-tpm", false, false, d -> d.setup("/fake/esm").execute(),
                        d -> d.setup("/fake/esm").plan()),
                Scenario.tpm("create-tpm-running", true, false, d -> d.snapshot("new").create(),
                        d -> d.snapshot("new").plan()),
                Scenario.tpm("revert-tpm", true, false, d -> d.revert("s2").stopIfRunning().execute(),
                        d -> d.revert("s2").stopIfRunning().plan()),
                Scenario.tpm("revert-running-tpm", true, true, d -> d.revert("m").running().execute(),
                        d -> d.revert("m").running().plan()),
                Scenario.tpm("delete-middle-tpm", true, false, d -> d.delete("s3").execute(),
                        d -> d.delete("s3").plan()),
                new Scenario("create", true, d -> d.snapshot("new").create(), d -> d.snapshot("new").plan()),
                new Scenario("create-first-without-setup", false, d -> d.snapshot("new").create(),
                        d -> d.snapshot("new").plan()),
                new Scenario("revert", true, d -> d.revert("s2").execute(), d -> d.revert("s2").plan()),
                new Scenario("revert-base", true, d -> d.revert("base").execute(), d -> d.revert("base").plan()),
                new Scenario("refresh", true, d -> d.refresh().execute(), d -> d.refresh().plan()),
                new Scenario("delete-leaf", true, d -> d.delete("s2").execute(), d -> d.delete("s2").plan()),
                new Scenario("delete-middle", true, d -> d.delete("s3").execute(), d -> d.delete("s3").plan()),
                new Scenario("delete-current", true, d -> d.delete("s4").execute(), d -> d.delete("s4").plan()),
                new Scenario("delete-branch-point", true, d -> d.delete("s1").execute(), d -> d.delete("s1").plan()),
                new Scenario("commit", true, d -> d.commit("s1", "s4").execute(), d -> d.commit("s1", "s4").plan()),
                // Memory snapshots: the domain runs, "m" (memory, RAM E) is current, RAM and disks now F.
                new Scenario("create-memory", true, true, d -> d.snapshot("new").memory().create(),
                        d -> d.snapshot("new").memory().plan()),
                new Scenario("revert-running", true, true, d -> d.revert("m").running().execute(),
                        d -> d.revert("m").running().plan()),
                new Scenario("revert-paused-from-other", true, true, d -> d.revert("m").paused().execute(),
                        d -> d.revert("m").paused().plan()),
                new Scenario("delete-memory", true, true, d -> d.delete("m").execute(), d -> d.delete("m").plan()),
                new Scenario("delete-parent-of-memory", true, true, d -> d.delete("s4").execute(),
                        d -> d.delete("s4").plan()),
                new Scenario("commit-through-memory", true, true, d -> d.commit("s1", "m").execute(),
                        d -> d.commit("s1", "m").plan()),
                // base -> s1 -> s3 -> s4 and the active layer: five images; with m, six.
                Scenario.deep("create-pull", false, 5, d -> d.snapshot("new").create(),
                        d -> d.snapshot("new").plan()),
                Scenario.deep("create-pull-running", true, 6, d -> d.snapshot("new").create(),
                        d -> d.snapshot("new").plan()),
                Scenario.deep("revert-pull", false, 4, d -> d.revert("s4").execute(), d -> d.revert("s4").plan()),
                Scenario.deep("revert-running-pull", true, 5, d -> d.revert("m").running().execute(),
                        d -> d.revert("m").running().plan()));
    }

    @org.junit.jupiter.api.Test
    void theDeepScenariosPlanAPullSoTheirFaultsLandAroundIt() {
        for (Scenario s : scenarios()) {
            if (s.limit() > 0) {
                World w = new World(s);
                dev.esm.api.Plan plan = s.plan().apply(w.bed.manager().domain(w.dom));
                assertTrue(plan.steps().stream().anyMatch(st -> st.kind() == dev.esm.api.StepKind.PULL),
                        s + ": " + plan);
            }
        }
    }

    static Stream<Arguments> points() {
        return scenarios().stream().flatMap(s -> {
            int steps = stepsOf(s);
            return Stream.of(true, false).flatMap(halt -> java.util.stream.IntStream.range(0, steps)
                    .mapToObj(i -> Arguments.of(s, i, halt)));
        });
    }

    /** base -> s1 -> s2 ; s1 -> s3 -> s4 (current, with unsaved changes E) */
    static final class World {
        final FakeBed bed = new FakeBed();
        final boolean firmware;
        final boolean tpm;
        final String dom;
        final Map<String, Map<String, Integer>> expected = new HashMap<>();

        World(boolean setUp) {
            this(setUp, false, false, false);
        }

        World(boolean setUp, boolean memory) {
            this(setUp, memory, false, false);
        }

        World(Scenario s) {
            this(s.setUp(), s.memory(), s.firmware(), s.tpm());
            if (s.limit() > 0) {
                bed.manager(b -> b.maxChainDepth(s.limit()));
            }
        }

        World(boolean setUp, boolean memory, boolean firmware, boolean tpm) {
            this.firmware = firmware;
            this.tpm = tpm;
            List<DiskSpec> disks = List.of(DiskSpec.qcow2("vda", "sys.qcow2"), DiskSpec.raw("vdb", "data.img"));
            dom = tpm ? bed.newTpmDomain(disks) : firmware ? bed.newFirmwareDomain(disks) : bed.newDomain(disks);
            if (!setUp) {
                write(A);
                return;
            }
            DomainSnapshots d = bed.manager().domain(dom);
            d.setup("/fake/esm").execute();
            expected.put("base", Map.of("vda", 0, "vdb", 0));
            take(d, "s1", A);
            take(d, "s2", B);
            d.revert("s1").execute();
            take(d, "s3", C);
            take(d, "s4", D);
            write(E);
            if (memory) {
                bed.start(dom);
                bed.writeMemory(dom, E);
                d.snapshot("m").memory().create();
                expected.put("m", Map.of("vda", E, "vdb", E + 0x10));
                bed.writeMemory(dom, F);
                write(F);
            }
            if (firmware && !bed.host().state(dom).isActive()) {
                bed.start(dom); // a create pauses it for the firmware copy; a revert stops it
            }
        }

        /** @return the pattern in the firmware state (UEFI variables or TPM state), or -1 without firmware */
        int vars() {
            if (!firmware) {
                return -1;
            }
            String file = tpm ? bed.tpmStateFile(dom) : bed.firmwareFile(dom);
            for (int p : new int[] {0, A, B, C, D, E, F}) {
                if (bed.fileReads(file, p)) {
                    return p;
                }
            }
            return -2;
        }

        /** @return the RAM pattern of the running domain, or -1 when it is shut off */
        int ram() {
            return bed.host().state(dom).isActive() && bed.memoryReads(dom, E) ? E
                    : bed.host().state(dom).isActive() && bed.memoryReads(dom, F) ? F : -1;
        }

        void write(int p) {
            bed.write(dom, "vda", p);
            bed.write(dom, "vdb", p + 0x10);
            if (tpm) {
                bed.writeTpmState(dom, p);
            } else if (firmware) {
                bed.writeFirmware(dom, p);
            }
        }

        void take(DomainSnapshots d, String name, int p) {
            write(p);
            d.snapshot(name).create();
            expected.put(name, Map.of("vda", p, "vdb", p + 0x10));
        }

        Set<String> names() {
            Set<String> out = new TreeSet<>();
            bed.manager().domain(dom).chain().snapshots().forEach(s -> out.add(s.name()));
            return out;
        }

        int state() {
            for (int p : new int[] {0, A, B, C, D, E, F}) {
                if (bed.reads(dom, "vda", p) && bed.reads(dom, "vdb", p == 0 ? 0 : p + 0x10)) {
                    return p;
                }
            }
            return -1;
        }
    }

    static int stepsOf(Scenario s) {
        World w = new World(s);
        return s.plan().apply(w.bed.manager().domain(w.dom)).steps().size();
    }

    @ParameterizedTest(name = "{0}, step {1}, halt={2}")
    @MethodSource("points")
    void everyStepBoundarySurvivesAFailureOrAHalt(Scenario s, int step, boolean halt) {
        POINTS.incrementAndGet();
        World w = new World(s);
        Set<String> before = w.names();
        int stateBefore = w.state();
        int ramBefore = w.ram();
        int varsBefore = w.vars();
        dev.esm.api.DomainState runBefore = w.bed.host().state(w.dom);
        // What a clean run gives, on a twin world.
        World twin = new World(s);
        s.op().accept(twin.bed.manager().domain(twin.dom));
        Set<String> after = twin.names();
        int stateAfter = twin.state();
        int ramAfter = twin.ram();
        int varsAfter = twin.vars();
        dev.esm.api.DomainState runAfter = twin.bed.host().state(twin.dom);

        w.bed.injecting((plan, i, st) -> {
            if (i == step) {
                if (halt) {
                    throw new Halt();
                }
                throw new IllegalStateException("injected failure before step " + (i + 1) + ": " + st.describe());
            }
        });
        try {
            s.op().accept(w.bed.manager().domain(w.dom));
            fail("the injected fault did not happen");
        } catch (Halt | IllegalStateException expected) {
            // the fault happened
        }
        w.bed.restart(); // a new process: opening the domain recovers an unfinished operation
        DomainSnapshots d = w.bed.manager().domain(w.dom);
        String at = s + " at step " + step + (halt ? " (halt)" : " (failure)") + ": ";
        assertTrue(d.verify().isEmpty(), at + "verify after recovery: " + d.verify());
        Set<String> now = w.names();
        assertTrue(now.equals(before) || now.equals(after), at + "full effect or none: before " + before + ", after "
                + after + ", now " + now);
        Map<String, Map<String, Integer>> surviving = new HashMap<>(w.expected);
        surviving.keySet().retainAll(now);
        if (d.chain().base().isPresent() && w.expected.containsKey("base")) {
            surviving.put("base", w.expected.get("base"));
        }
        Invariants.check(w.bed, w.dom, surviving);
        assertEquals(List.of(), w.bed.storage().violations());
        int state = w.state();
        assertTrue(state == stateBefore || state == stateAfter, at + "the current state reads " + state + ", not "
                + stateBefore + " (before) or " + stateAfter + " (after)");
        int ram = w.ram();
        assertTrue(ram == ramBefore || ram == ramAfter, at + "the RAM holds " + ram + ", not " + ramBefore
                + " (before) or " + ramAfter + " (after)");
        if (state == stateAfter && stateAfter != stateBefore) {
            assertEquals(ramAfter, ram, at + "the disks were reverted, so the RAM must be too");
        }
        int vars = w.vars();
        assertTrue(vars == varsBefore || vars == varsAfter, at + "the firmware variables hold " + vars + ", not "
                + varsBefore + " (before) or " + varsAfter + " (after)");
        if (state == stateAfter && stateAfter != stateBefore) {
            assertEquals(varsAfter, vars, at + "the disks were reverted, so the firmware variables must be too");
        }
        dev.esm.api.DomainState run = w.bed.host().state(w.dom);
        assertTrue(run == runBefore || run == runAfter, at + "the domain is " + run + ", not " + runBefore
                + " (before) or " + runAfter + " (after): a pause for the firmware copy must not stay");
        assertTrue(w.bed.storage().read("/fake-state/00000000-0000-0000-0000-000000000001.journal").isEmpty(),
                "the journal is gone after recovery");
    }
}
