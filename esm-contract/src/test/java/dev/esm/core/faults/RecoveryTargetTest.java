package dev.esm.core.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Operation;
import dev.esm.api.Recovery;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A recovery names the snapshot the stopped operation was asked about (the one deleted, the top of a commit, the one
 * created or reverted to), not the one that was to be current afterwards: a stopped {@code delete s3} of a middle
 * snapshot while {@code s4} is current is reported as "the unfinished delete of s3". On the world of
 * {@link FaultInjectionTest} (base -> s1 -> s2; s1 -> s3 -> s4 current), halted before every step in turn.
 */
class RecoveryTargetTest {
    record Case(String name, Operation operation, String about, Consumer<DomainSnapshots> op,
                Function<DomainSnapshots, dev.esm.api.Plan> plan) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        return List.of(
                new Case("delete-middle", Operation.DELETE, "s3", d -> d.delete("s3").execute(),
                        d -> d.delete("s3").plan()),
                new Case("delete-branch-point", Operation.DELETE, "s1", d -> d.delete("s1").execute(),
                        d -> d.delete("s1").plan()),
                new Case("delete-current", Operation.DELETE, "s4", d -> d.delete("s4").execute(),
                        d -> d.delete("s4").plan()),
                new Case("commit", Operation.COMMIT, "s4", d -> d.commit("s1", "s4").execute(),
                        d -> d.commit("s1", "s4").plan()),
                new Case("create", Operation.CREATE, "new", d -> d.snapshot("new").create(),
                        d -> d.snapshot("new").plan()),
                new Case("revert", Operation.REVERT, "s2", d -> d.revert("s2").execute(), d -> d.revert("s2").plan()));
    }

    static Stream<Arguments> points() {
        return cases().stream().flatMap(c -> {
            FaultInjectionTest.World w = new FaultInjectionTest.World(true);
            int steps = c.plan().apply(w.bed.manager().domain(w.dom)).steps().size();
            return IntStream.range(0, steps).mapToObj(i -> Arguments.of(c, i));
        });
    }

    @ParameterizedTest(name = "{0}, halted before step {1}")
    @MethodSource("points")
    void theRecoveryNamesTheSnapshotTheOperationWasAskedAbout(Case c, int step) {
        FaultInjectionTest.World w = new FaultInjectionTest.World(true);
        w.bed.injecting((plan, i, st) -> {
            if (i == step) {
                throw new FaultInjectionTest.Halt();
            }
        });
        try {
            c.op().accept(w.bed.manager().domain(w.dom));
            fail("the halt did not happen");
        } catch (FaultInjectionTest.Halt expected) {
            // a process stopped before that step
        }
        w.bed.restart();
        DomainSnapshots d = w.bed.manager().domain(w.dom); // recovers
        Recovery r = d.lastRecovery().orElseThrow(() -> new AssertionError("nothing was recovered"));
        assertEquals(c.operation(), r.operation());
        assertEquals(c.about(), r.target(), r.describe());
        assertTrue(r.describe().startsWith("the unfinished " + c.operation().name().toLowerCase() + " of "
                + c.about() + " (started "), r.describe());
    }
}
