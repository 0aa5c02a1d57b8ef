package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Operation;
import dev.esm.api.OperationEvent;
import dev.esm.api.OperationListener;
import dev.esm.api.Outcome;
import dev.esm.api.Plan;
import dev.esm.api.Recovery;
import dev.esm.api.Settings;
import dev.esm.api.StepEvent;
import dev.esm.api.StepKind;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.api.errors.SnapshotNotFoundException;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What a manager's {@link OperationListener} is told: every operation and step, in order, with its outcome. */
class OperationListenerTest {

    /** Records every event as it comes, from any thread. */
    static final class Recorder implements OperationListener {
        final List<Object> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void operationStarted(OperationEvent e) {
            events.add(e);
        }

        @Override
        public void operationFinished(OperationEvent e) {
            events.add(e);
        }

        @Override
        public void stepStarted(StepEvent e) {
            events.add(e);
        }

        @Override
        public void stepFinished(StepEvent e) {
            events.add(e);
        }

        @Override
        public void recovered(String domain, Recovery r) {
            events.add(r);
        }

        List<OperationEvent> operations() {
            return events.stream().filter(OperationEvent.class::isInstance).map(OperationEvent.class::cast).toList();
        }

        List<StepEvent> finishedSteps() {
            return events.stream().filter(StepEvent.class::isInstance).map(StepEvent.class::cast)
                    .filter(e -> e.outcome() != Outcome.RUNNING).toList();
        }
    }

    private final FakeBed bed = new FakeBed();
    private final Recorder recorder = new Recorder();

    private DomainSnapshots domain(int disks) {
        List<DiskSpec> specs = new ArrayList<>();
        for (int i = 0; i < disks; i++) {
            specs.add(DiskSpec.qcow2("vd" + (char) ('a' + i), "d" + i + ".qcow2"));
        }
        String dom = bed.newDomain(specs);
        bed.manager().domain(dom).setup("/fake/esm").execute();
        bed.configured(settingsWith(recorder), (p, i, s) -> { });
        return bed.manager().domain(dom);
    }

    private static Settings settingsWith(OperationListener listener) {
        return dev.esm.api.SnapshotManager.builder("fake:///memory").listener(listener).settings();
    }

    @Test
    void createReportsItsStartEveryStepInPlanOrderAndItsSuccess() {
        DomainSnapshots d = domain(1);
        Plan plan = d.snapshot("s1").plan();
        d.snapshot("s1").create();

        OperationEvent start = (OperationEvent) recorder.events.get(0);
        assertEquals(Outcome.RUNNING, start.outcome());
        assertEquals(Operation.CREATE, start.operation());
        assertEquals("s1", start.target());
        assertEquals(d.name(), start.domain());
        assertEquals(plan.steps().size(), start.steps());
        OperationEvent end = (OperationEvent) recorder.events.get(recorder.events.size() - 1);
        assertEquals(Outcome.SUCCEEDED, end.outcome());
        assertEquals(start.started(), end.started());
        assertFalse(end.duration().isNegative());
        assertTrue(end.failure().isEmpty());

        List<Object> steps = recorder.events.subList(1, recorder.events.size() - 1);
        assertEquals(2 * plan.steps().size(), steps.size(), "a start and an end per step");
        for (int i = 0; i < plan.steps().size(); i++) {
            StepEvent started = (StepEvent) steps.get(2 * i);
            StepEvent finished = (StepEvent) steps.get(2 * i + 1);
            assertEquals(i, started.index());
            assertEquals(Outcome.RUNNING, started.outcome());
            assertEquals(i, finished.index());
            assertEquals(Outcome.SUCCEEDED, finished.outcome());
            assertEquals(plan.steps().get(i), finished.step());
            assertEquals(plan.steps().size(), finished.count());
        }
    }

    @Test
    void anOperationRefusedBeforeItsFirstStepIsReportedOnceAsFailedWithNoSteps() {
        DomainSnapshots d = domain(1);
        SnapshotNotFoundException e = assertThrows(SnapshotNotFoundException.class, () -> d.delete("nope").execute());

        assertEquals(1, recorder.events.size(), recorder.events.toString());
        OperationEvent end = recorder.operations().get(0);
        assertEquals(Operation.DELETE, end.operation());
        assertEquals("nope", end.target());
        assertEquals(Outcome.FAILED, end.outcome());
        assertEquals(0, end.steps());
        assertEquals(e, end.failure().orElseThrow());
    }

    @Test
    void aFailedStepIsReportedAndTheOperationEndsFailedAfterItsUndo() {
        DomainSnapshots d = domain(1);
        String name = d.name();
        bed.configured(settingsWith(recorder), (plan, index, step) -> {
            if (index == 1) {
                throw new IllegalStateException("injected");
            }
        });
        assertThrows(IllegalStateException.class, () -> bed.manager().domain(name).snapshot("s1").create());

        List<StepEvent> finished = recorder.finishedSteps();
        assertEquals(1, finished.size(), "only the step before the fault ran");
        assertEquals(Outcome.SUCCEEDED, finished.get(0).outcome());
        OperationEvent end = recorder.operations().get(recorder.operations().size() - 1);
        assertEquals(Outcome.FAILED, end.outcome());
        assertEquals("injected", end.failure().orElseThrow().getMessage());
        assertTrue(bed.manager().domain(name).find("s1").isEmpty(), "undone");
    }

    @Test
    void theMergesOfSeveralDisksAreReportedOneStepEachAndACancelledMergeEndsCancelled() {
        DomainSnapshots d = domain(3);
        for (String s : List.of("s1", "s2")) {
            d.snapshot(s).create();
        }
        recorder.events.clear();
        d.delete("s1").execute();
        Set<Integer> merges = recorder.finishedSteps().stream().filter(e -> e.step().kind() == StepKind.MERGE)
                .map(StepEvent::index).collect(Collectors.toSet());
        assertEquals(3, merges.size(), "one merge step per disk: " + recorder.finishedSteps());
        assertEquals(Outcome.SUCCEEDED, recorder.operations().get(1).outcome());
        assertEquals("s1", recorder.operations().get(1).target(), "the snapshot deleted, not the one current after");
        assertTrue(recorder.finishedSteps().stream().allMatch(e -> e.target().equals("s1")));

        recorder.events.clear();
        var delete = d.delete("s2");
        delete.progress(p -> delete.cancel());
        assertThrows(OperationCancelledException.class, delete::execute);
        OperationEvent end = recorder.operations().get(recorder.operations().size() - 1);
        assertEquals(Outcome.CANCELLED, end.outcome());
        assertInstanceOf(OperationCancelledException.class, end.failure().orElseThrow());
    }

    @Test
    void aListenerThatThrowsChangesNothing() {
        OperationListener broken = new OperationListener() {
            @Override
            public void operationStarted(OperationEvent e) {
                throw new IllegalStateException("listener");
            }

            @Override
            public void stepFinished(StepEvent e) {
                throw new IllegalStateException("listener");
            }

            @Override
            public void operationFinished(OperationEvent e) {
                throw new IllegalStateException("listener");
            }
        };
        DomainSnapshots d = domain(1);
        bed.configured(settingsWith(broken), (p, i, s) -> { });
        DomainSnapshots again = bed.manager().domain(d.name());
        again.snapshot("s1").create();
        again.revert("s1").execute();
        assertTrue(again.find("s1").isPresent());
        assertEquals(List.of(), again.verify());
    }

    @Test
    void aRecoveryIsReportedAsSuch() {
        DomainSnapshots d = domain(1);
        String name = d.name();
        d.snapshot("s1").create();
        bed.configured(settingsWith(recorder), (plan, index, step) -> {
            if (index == plan.steps().size() - 1) {
                throw new Halt(); // the process stops before the last step: the journal stays
            }
        });
        assertThrows(Halt.class, () -> bed.manager().domain(name).revert("s1").execute());
        recorder.events.clear();
        bed.configured(settingsWith(recorder), (p, i, s) -> { });
        bed.manager().domain(name); // opening it recovers
        Recovery r = (Recovery) recorder.events.stream().filter(Recovery.class::isInstance).findFirst().orElseThrow();
        assertEquals(Operation.REVERT, r.operation());
        assertTrue(r.completed());
    }

    /** A process stopping between two steps: an Error, so the executor neither undoes nor aborts. */
    static final class Halt extends Error {
        Halt() {
            super("halt");
        }
    }
}
