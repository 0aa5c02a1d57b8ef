package dev.esm.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotManager;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * The extension against the real libvirtd, as a user's test class would use it. Each annotated class below is run
 * by the JUnit launcher from a test here, so that what happens around it (a domain made, reverted before each test,
 * started, removed) can be checked from outside. (Static nested classes: neither Failsafe nor Jupiter runs them on
 * their own.) Uses {@code ESM_TEST_URI}, else libvirt's default URI; fails, never skips, without libvirt.
 */
class EsmExtensionIT {
    /** The URI the extension uses when an annotation names none. */
    static final String URI = System.getenv("ESM_TEST_URI") != null && !System.getenv("ESM_TEST_URI").isBlank()
            ? System.getenv("ESM_TEST_URI") : SnapshotManager.defaultUri();
    static final String NAMED = "esm-junit5-it-web";

    /** What the classes run by the launcher saw, for the checks after them. */
    static final List<String> SEEN = new ArrayList<>();

    static void run(Class<?> type) {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(type)).build(), listener);
        TestExecutionSummary summary = listener.getSummary();
        if (summary.getTotalFailureCount() > 0 || summary.getTestsSucceededCount() == 0) {
            StringWriter out = new StringWriter();
            summary.printTo(new PrintWriter(out));
            summary.printFailuresTo(new PrintWriter(out), 30);
            fail(type.getSimpleName() + " failed:\n" + out);
        }
    }

    static String current(DomainSnapshots vm) {
        return vm.chain().current().map(Snapshot::name).orElse("(none)");
    }

    static Set<String> names(DomainSnapshots vm) {
        Set<String> out = new TreeSet<>();
        vm.chain().snapshots().forEach(s -> out.add(s.name()));
        return out;
    }

    static boolean defined(String name) throws LibvirtException {
        Connect conn = new Connect(URI, true);
        try {
            conn.domainLookupByName(name).free();
            return true;
        } catch (LibvirtException e) {
            return false;
        } finally {
            conn.close();
        }
    }

    @EsmThrowawayDomain(prefix = "esm-junit5-it", disks = 2, snapshot = "clean")
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class ThrowawayTests {
        @Test
        @Order(1)
        void first(DomainSnapshots vm, ThrowawayDomain lab, SnapshotManager esm) {
            SEEN.add(lab.name());
            SEEN.add(lab.folder().toString());
            assertEquals(lab.name(), vm.name());
            assertEquals(2, vm.disks().size());
            assertEquals("clean", current(vm));
            assertEquals(DomainState.SHUTOFF, vm.state());
            vm.snapshot("by-first").create();
            assertEquals("by-first", current(esm.domain(lab.name())));
        }

        @Test
        @Order(2)
        void secondStartsFromTheSnapshotAgain(DomainSnapshots vm) {
            assertEquals("clean", current(vm), "reverted before this test");
            assertEquals(Set.of("clean", "by-first"), names(vm), "reverting keeps the other snapshots");
        }
    }

    @Test
    void aThrowawayDomainIsMadeRevertedBeforeEachTestAndRemovedAfterTheClass() throws Exception {
        SEEN.clear();
        run(ThrowawayTests.class);
        assertEquals(2, SEEN.size());
        assertFalse(defined(SEEN.get(0)), "the throwaway domain is removed after the class");
        assertFalse(Files.exists(Path.of(SEEN.get(1))), "and its folder with it");
    }

    @EsmDomain(name = NAMED, revertTo = "clean", start = true)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class NamedTests {
        @Test
        @Order(1)
        void first(DomainSnapshots web) {
            assertEquals(DomainState.RUNNING, web.state());
            assertEquals("clean", current(web));
            SEEN.add(web.disks().get(0).source().orElseThrow());
            web.snapshot("by-first").create(); // live
            assertEquals("by-first", current(web));
        }

        @Test
        @Order(2)
        void secondRunsOnFreshOverlaysOverTheSnapshot(DomainSnapshots web, SnapshotManager esm) {
            assertEquals(DomainState.RUNNING, web.state());
            assertEquals("clean", current(web), "reverted before this test");
            String active = web.disks().get(0).source().orElseThrow();
            assertNotEquals(SEEN.get(0), active, "a fresh overlay, not the one the first test wrote into");
            assertEquals(NAMED, esm.domain(NAMED).name());
        }
    }

    @Test
    void aNamedDomainIsRevertedAndStartedBeforeEachTestAndKept() throws Exception {
        removeLeftover(NAMED);
        SEEN.clear();
        try (ThrowawayDomain lab = ThrowawayDomain.named(URI, NAMED, 1, 16L << 20);
             SnapshotManager esm = SnapshotManager.connect(URI)) {
            esm.domain(NAMED).snapshot("clean").create();
            run(NamedTests.class);
            DomainSnapshots web = esm.domain(NAMED);
            assertTrue(defined(NAMED), "a named domain is the user's: never removed");
            assertEquals(DomainState.RUNNING, web.state());
            assertEquals(Set.of("clean", "by-first"), names(web));
            assertEquals(List.of(), web.verify());
        }
        assertFalse(defined(NAMED));
    }

    @EsmDomain(name = NAMED, start = true)
    static class StartWithoutRevert {
        @Test
        void never() {
            fail("not run: the class is refused");
        }
    }

    @Test
    void startWithoutASnapshotIsRefused() {
        AssertionError e = assertThrows(AssertionError.class, () -> run(StartWithoutRevert.class));
        assertTrue(e.getMessage().contains("needs revertTo"), e.getMessage());
    }

    /** Removes this test's own domain if a killed earlier run left it. */
    static void removeLeftover(String name) throws LibvirtException {
        Connect conn = new Connect(URI, false);
        try {
            Domain d = conn.domainLookupByName(name);
            if (d.isActive() == 1) {
                d.destroy();
            }
            d.undefine(2);
            d.free();
        } catch (LibvirtException absent) {
            // nothing left
        } finally {
            conn.close();
        }
    }
}
