package dev.esm.core.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
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
 * process killed at that point; a new manager then recovers from the journal). Afterwards SEMANTICS.md's
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

    record Scenario(String name, boolean setUp, Consumer<DomainSnapshots> op) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final AtomicInteger POINTS = new AtomicInteger();

    static List<Scenario> scenarios() {
        return List.of(
                new Scenario("setup", false, d -> d.setup("/fake/esm").execute()),
                new Scenario("create", true, d -> d.snapshot("new").create()),
                new Scenario("create-first-without-setup", false, d -> d.snapshot("new").create()),
                new Scenario("revert", true, d -> d.revert("s2").execute()),
                new Scenario("revert-base", true, d -> d.revert("base").execute()),
                new Scenario("refresh", true, d -> d.refresh().execute()),
                new Scenario("delete-leaf", true, d -> d.delete("s2").execute()),
                new Scenario("delete-middle", true, d -> d.delete("s3").execute()),
                new Scenario("delete-current", true, d -> d.delete("s4").execute()),
                new Scenario("delete-branch-point", true, d -> d.delete("s1").execute()),
                new Scenario("commit", true, d -> d.commit("s1", "s4").execute()));
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
        final String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2"), DiskSpec.raw("vdb", "data.img")));
        final Map<String, Map<String, Integer>> expected = new HashMap<>();

        World(boolean setUp) {
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
        }

        void write(int p) {
            bed.write(dom, "vda", p);
            bed.write(dom, "vdb", p + 0x10);
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
            for (int p : new int[] {0, A, B, C, D, E}) {
                if (bed.reads(dom, "vda", p) && bed.reads(dom, "vdb", p == 0 ? 0 : p + 0x10)) {
                    return p;
                }
            }
            return -1;
        }
    }

    static int stepsOf(Scenario s) {
        World w = new World(s.setUp());
        var d = w.bed.manager().domain(w.dom);
        String name = s.name();
        if (name.startsWith("setup")) {
            return d.setup("/fake/esm").plan().steps().size();
        } else if (name.startsWith("create")) {
            return d.snapshot("new").plan().steps().size();
        } else if (name.equals("revert")) {
            return d.revert("s2").plan().steps().size();
        } else if (name.equals("revert-base")) {
            return d.revert("base").plan().steps().size();
        } else if (name.equals("refresh")) {
            return d.refresh().plan().steps().size();
        } else if (name.equals("delete-leaf")) {
            return d.delete("s2").plan().steps().size();
        } else if (name.equals("delete-middle")) {
            return d.delete("s3").plan().steps().size();
        } else if (name.equals("delete-current")) {
            return d.delete("s4").plan().steps().size();
        } else if (name.equals("delete-branch-point")) {
            return d.delete("s1").plan().steps().size();
        }
        return d.commit("s1", "s4").plan().steps().size();
    }

    @ParameterizedTest(name = "{0}, step {1}, halt={2}")
    @MethodSource("points")
    void everyStepBoundarySurvivesAFailureOrAHalt(Scenario s, int step, boolean halt) {
        POINTS.incrementAndGet();
        World w = new World(s.setUp());
        Set<String> before = w.names();
        int stateBefore = w.state();
        // What a clean run gives, on a twin world.
        World twin = new World(s.setUp());
        s.op().accept(twin.bed.manager().domain(twin.dom));
        Set<String> after = twin.names();
        int stateAfter = twin.state();

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
        assertTrue(w.bed.storage().read("/fake-state/00000000-0000-0000-0000-000000000001.journal").isEmpty(),
                "the journal is gone after recovery");
    }
}
