package dev.esm.core.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.esm.api.DomainSnapshots;
import dev.esm.core.contract.FakeBed;
import dev.esm.core.contract.Invariants;
import dev.esm.core.plan.Journal;
import dev.esm.core.plan.Step;
import dev.esm.core.plan.JournalXml;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Journals written by earlier versions of the format, kept in {@code src/test/resources/journals/} with the world
 * their process left, and recovered by today's ESM: the case a journal exists for is a process of one release
 * stopped mid-operation and the next release opening the domain. Never regenerate a stored fixture to make this
 * test pass: a failure here means journals left by users' processes would not be recovered either.
 *
 * <p>{@code journals/v1/commit-s1-s4}: the format-1 journal of {@code commit("s1", "s4")} on the world of
 * {@link FaultInjectionTest} (base -> s1 -> s2; s1 -> s3 -> s4 current, unsaved changes E), the process halted
 * before step {@value #HALT_AT} ran (the journal names step 4, the second disk's merge, as the next; the first disk's
 * merge cannot be undone, so recovery completes the commit). Made by {@link #writeTheFixtures} with
 * {@code -Desm.writeJournalFixtures=esm-contract/src/test/resources/journals/v1}.
 */
class StoredJournalTest {
    static final String FIXTURE = "/journals/v1/commit-s1-s4";
    static final int HALT_AT = 5;
    static final String JOURNAL = "/fake-state/00000000-0000-0000-0000-000000000001.journal";

    static String resource(String name) {
        try (InputStream in = StoredJournalTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the journal in a stable text form: the header, then every step's record components by name */
    static String render(Journal j) {
        StringBuilder b = new StringBuilder();
        b.append("operation ").append(j.operation()).append('\n').append("domain ").append(j.domain()).append('\n')
                .append("target ").append(j.target()).append('\n').append("next ").append(j.next()).append('\n')
                .append("started ").append(j.started()).append('\n');
        for (Step s : j.steps()) {
            b.append("step ").append(render(s)).append('\n');
        }
        for (Step s : j.onAbort()) {
            b.append("on-abort ").append(render(s)).append('\n');
        }
        new TreeMap<>(j.saved()).forEach((name, xml) -> b.append("saved ").append(name).append(' ').append(xml)
                .append('\n'));
        return b.toString();
    }

    private static String render(Step s) {
        StringBuilder b = new StringBuilder(s.getClass().getSimpleName()).append('[');
        String sep = "";
        for (RecordComponent c : s.getClass().getRecordComponents()) {
            try {
                Object v = c.getAccessor().invoke(s);
                // Maps and sets in a stable order (Map.copyOf's order changes from one JVM to the next).
                v = v instanceof Map<?, ?> m ? new TreeMap<>(m) : v instanceof Set<?> set ? new TreeSet<>(set) : v;
                b.append(sep).append(c.getName()).append('=').append(v);
                sep = ", ";
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return b.append(']').toString();
    }

    @Test
    @EnabledIfSystemProperty(named = "esm.writeJournalFixtures", matches = ".+")
    void writeTheFixtures() throws IOException {
        FaultInjectionTest.World w = new FaultInjectionTest.World(true);
        w.bed.injecting((plan, i, step) -> {
            if (i == HALT_AT) {
                throw new FaultInjectionTest.Halt();
            }
        });
        try {
            w.bed.manager().domain(w.dom).commit("s1", "s4").execute();
            fail("the halt did not happen");
        } catch (FaultInjectionTest.Halt expected) {
            // a process stopped before step HALT_AT
        }
        String journal = w.bed.storage().read(JOURNAL).orElseThrow();
        Path dir = Path.of(System.getProperty("esm.writeJournalFixtures"));
        Files.createDirectories(dir);
        String name = FIXTURE.substring(FIXTURE.lastIndexOf('/') + 1);
        Files.writeString(dir.resolve(name + ".journal.xml"), journal);
        Files.writeString(dir.resolve(name + ".world.xml"),
                StoredWorld.dump(w.bed.host(), w.bed.storage(), w.dom, JOURNAL));
        Files.writeString(dir.resolve(name + ".plan.txt"), render(JournalXml.read(journal)));
    }

    @Test
    void theStoredJournalStillParsesToTheSamePlan() {
        Journal j = JournalXml.read(resource(FIXTURE + ".journal.xml"));
        assertEquals(resource(FIXTURE + ".plan.txt"), render(j));
    }

    @Test
    void theStoredJournalIsRecoveredWhenTheDomainIsOpened() {
        FakeBed bed = new FakeBed();
        String dom = StoredWorld.load(resource(FIXTURE + ".world.xml"), bed.host(), bed.storage());
        bed.storage().writeAtomically(JOURNAL, resource(FIXTURE + ".journal.xml"));
        bed.restart();

        DomainSnapshots d = bed.manager().domain(dom); // recovers
        assertTrue(bed.storage().read(JOURNAL).isEmpty(), "the journal is gone after recovery");
        assertEquals(List.of(), d.verify());
        Set<String> names = new TreeSet<>();
        d.chain().snapshots().forEach(s -> names.add(s.name()));
        assertEquals(Set.of("s1", "s2"), names, "the commit was completed: s3 and s4 are gone");
        assertEquals("s1", d.chain().current().orElseThrow().name());
        Invariants.check(bed, dom, Map.of(
                "base", Map.of("vda", 0, "vdb", 0),
                "s1", Map.of("vda", FaultInjectionTest.A, "vdb", FaultInjectionTest.A + 0x10),
                "s2", Map.of("vda", FaultInjectionTest.B, "vdb", FaultInjectionTest.B + 0x10)));
        assertTrue(bed.reads(dom, "vda", FaultInjectionTest.E) && bed.reads(dom, "vdb", FaultInjectionTest.E + 0x10),
                "the current state keeps its unsaved changes");
        assertEquals(List.of(), bed.storage().violations());
    }
}
