package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.Operation;
import dev.esm.api.OperationEvent;
import dev.esm.api.OperationListener;
import dev.esm.api.Outcome;
import dev.esm.api.SnapshotManager;
import dev.esm.api.StepEvent;
import dev.esm.api.StepKind;
import dev.esm.core.contract.Bed.DiskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.testbed.LibvirtBed;

/**
 * A manager made with {@link SnapshotManager#builder(String)} against the real libvirtd: its state folder holds the
 * journal while an operation runs, and its listener hears every operation and step.
 */
class BuilderIT {

    @Test
    void aBuiltManagerKeepsItsJournalInItsStateFolderAndReportsEveryStep() throws IOException {
        Path state = Files.createTempDirectory("esm-state-");
        List<Object> events = Collections.synchronizedList(new ArrayList<>());
        List<String> journalsSeen = Collections.synchronizedList(new ArrayList<>());
        OperationListener listener = new OperationListener() {
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
                try (Stream<Path> files = Files.list(state)) {
                    files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".journal"))
                            .forEach(journalsSeen::add);
                } catch (IOException x) {
                    throw new IllegalStateException(x);
                }
            }

            @Override
            public void stepFinished(StepEvent e) {
                events.add(e);
            }
        };
        try (LibvirtBed bed = new LibvirtBed();
             SnapshotManager esm = SnapshotManager.builder(LibvirtBed.URI)
                     .stateDirectory(state)
                     .lockWait(Duration.ofSeconds(5))
                     .processTimeout(Duration.ofSeconds(30))
                     .connections(1)
                     .listener(listener)
                     .connect()) {
            String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
            var d = esm.domain(dom);
            d.setup(bed.folder(dom) + "/esm").execute();
            d.snapshot("s1").create();

            assertFalse(journalsSeen.isEmpty(), "the journal was in the chosen state folder while steps ran");
            try (Stream<Path> left = Files.list(state)) {
                assertEquals(List.of(), left.filter(p -> p.toString().endsWith(".journal")).toList(),
                        "and is gone when the operation ended");
            }
            List<OperationEvent> ops = events.stream().filter(OperationEvent.class::isInstance)
                    .map(OperationEvent.class::cast).toList();
            assertEquals(List.of(Operation.SETUP, Operation.SETUP, Operation.CREATE, Operation.CREATE),
                    ops.stream().map(OperationEvent::operation).toList());
            assertEquals(Outcome.SUCCEEDED, ops.get(3).outcome());
            assertEquals("s1", ops.get(3).target());
            assertTrue(events.stream().filter(StepEvent.class::isInstance).map(StepEvent.class::cast)
                    .anyMatch(e -> e.step().kind() == StepKind.CREATE_SNAPSHOT && e.outcome() == Outcome.SUCCEEDED),
                    events.toString());
        } finally {
            try (Stream<Path> files = Files.walk(state)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
