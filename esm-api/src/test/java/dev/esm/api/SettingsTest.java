package dev.esm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link SnapshotManager#builder(String)} and the {@link Settings} it makes. */
class SettingsTest {
    private static final String[] PROPERTIES = {"esm.imageAccess", "esm.stateDir", "esm.hostStateDir", "esm.lockWait",
        "esm.leaseTtl", "esm.blockJobStall", "esm.processTimeout", "esm.connections",
        "esm.snapshotMarkers"};

    @AfterEach
    void clearProperties() {
        for (String p : PROPERTIES) {
            System.clearProperty(p);
        }
    }

    @Test
    void aBuilderStartsFromTheDocumentedDefaultsAndReadsNoSystemProperty() {
        System.setProperty("esm.lockWait", "PT1S");
        Settings s = SnapshotManager.builder("qemu:///system").settings();
        assertEquals(Settings.defaults(), s);
        assertEquals(ImageAccess.AUTO, s.imageAccess());
        assertEquals(Optional.empty(), s.stateDirectory());
        assertEquals("/var/lib/libvirt/esm", s.hostStateDirectory());
        assertEquals(Duration.ofSeconds(60), s.lockWait());
        assertEquals(Duration.ofSeconds(30), s.leaseTime());
        assertEquals(Duration.ofMinutes(10), s.blockJobStall());
        assertEquals(Duration.ofSeconds(120), s.processTimeout());
        assertEquals(4, s.connections());
        assertSame(OperationListener.NONE, s.listener());
    }

    @Test
    void everySetterChangesItsSettingOnly() {
        OperationListener l = new OperationListener() { };
        Settings s = SnapshotManager.builder("qemu:///system")
                .imageAccess(ImageAccess.LIBVIRT_STORAGE)
                .stateDirectory(Path.of("/srv/esm"))
                .hostStateDirectory("/srv/host-esm")
                .lockWait(Duration.ZERO)
                .leaseTime(Duration.ofSeconds(5))
                .blockJobStall(Duration.ofMinutes(1))
                .processTimeout(Duration.ofSeconds(7))
                .connections(1)
                .listener(l)
                .settings();
        assertEquals(new Settings(ImageAccess.LIBVIRT_STORAGE, Optional.of(Path.of("/srv/esm")), "/srv/host-esm",
                Duration.ZERO, Duration.ofSeconds(5), Duration.ofMinutes(1), Duration.ofSeconds(7), 1, l), s);
    }

    @Test
    void aValueOutOfRangeIsRefusedByTheSetterNamingTheSetting() {
        SnapshotManager.Builder b = SnapshotManager.builder("qemu:///system");
        assertMessage("stateDirectory", assertThrows(IllegalArgumentException.class,
                () -> b.stateDirectory(Path.of("relative"))));
        assertMessage("hostStateDirectory", assertThrows(IllegalArgumentException.class,
                () -> b.hostStateDirectory("var/lib")));
        assertMessage("lockWait", assertThrows(IllegalArgumentException.class,
                () -> b.lockWait(Duration.ofSeconds(-1))));
        assertMessage("leaseTime", assertThrows(IllegalArgumentException.class,
                () -> b.leaseTime(Duration.ofMillis(500))));
        assertMessage("blockJobStall", assertThrows(IllegalArgumentException.class,
                () -> b.blockJobStall(Duration.ZERO)));
        assertMessage("processTimeout", assertThrows(IllegalArgumentException.class,
                () -> b.processTimeout(Duration.ZERO)));
        assertMessage("connections", assertThrows(IllegalArgumentException.class, () -> b.connections(0)));
        assertThrows(NullPointerException.class, () -> b.listener(null));
        assertThrows(IllegalArgumentException.class, () -> SnapshotManager.builder(" "));
        assertEquals(Settings.defaults(), b.settings(), "a refused value changes nothing");
    }

    private static void assertMessage(String setting, IllegalArgumentException e) {
        assertTrue(e.getMessage().startsWith(setting + " "), e.getMessage());
    }

    @Test
    void systemPropertiesAreTakenOnlyWhenAsked() {
        System.setProperty("esm.imageAccess", "local_files");
        System.setProperty("esm.stateDir", "/tmp/esm-state");
        System.setProperty("esm.hostStateDir", "/srv/h");
        System.setProperty("esm.lockWait", "PT2S");
        System.setProperty("esm.leaseTtl", "PT4S");
        System.setProperty("esm.blockJobStall", "PT3M");
        System.setProperty("esm.processTimeout", "PT9S");
        System.setProperty("esm.connections", "2");
        Settings s = SnapshotManager.builder("qemu:///system").systemProperties().settings();
        assertEquals(new Settings(ImageAccess.LOCAL_FILES, Optional.of(Path.of("/tmp/esm-state")), "/srv/h",
                Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofMinutes(3), Duration.ofSeconds(9), 2,
                OperationListener.NONE), s);
    }

    @Test
    void aBadSystemPropertyIsNamedInTheError() {
        System.setProperty("esm.leaseTtl", "30s");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SnapshotManager.builder("qemu:///system").systemProperties());
        assertTrue(e.getMessage().contains("-Desm.leaseTtl=30s"), e.getMessage());
        System.clearProperty("esm.leaseTtl");
        System.setProperty("esm.imageAccess", "nfs");
        e = assertThrows(IllegalArgumentException.class,
                () -> SnapshotManager.builder("qemu:///system").systemProperties());
        assertTrue(e.getMessage().contains("LIBVIRT_STORAGE"), e.getMessage());
    }

    @Test
    void theNewSettingsDefaultToMarkersOnAndTheSharedWorkers() {
        Settings s = Settings.defaults();
        assertTrue(s.snapshotMarkers());
        assertSame(s.executor(), SnapshotManager.builder("qemu:///system").settings().executor());
        assertSame(s.executor(), new Settings(ImageAccess.AUTO, Optional.empty(), "/h", Duration.ZERO,
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 1, OperationListener.NONE)
                .executor(), "the constructor of before takes the defaults of the settings added since");
    }

    @Test
    void theDefaultExecutorRunsOnNamedDaemonThreadsAndCannotBeShutDown() throws Exception {
        ExecutorService shared = Settings.defaults().executor();
        Thread t = shared.submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
        assertTrue(t.getName().matches("esm-worker-[0-9]+"), t.getName());
        assertTrue(t.isDaemon());
        assertThrows(UnsupportedOperationException.class, shared::shutdown);
        assertThrows(UnsupportedOperationException.class, shared::shutdownNow);
        assertFalse(shared.isShutdown());
    }

    @Test
    void theBuildersValuesLandInTheSettingsItMakes() {
        ExecutorService mine = Executors.newSingleThreadExecutor();
        try {
            OperationListener l = new OperationListener() { };
            SnapshotManager.Builder b = SnapshotManager.builder("qemu:///system")
                    .imageAccess(ImageAccess.LOCAL_FILES)
                    .stateDirectory(Path.of("/srv/esm"))
                    .hostStateDirectory("/srv/host-esm")
                    .lockWait(Duration.ofSeconds(3))
                    .leaseTime(Duration.ofSeconds(6))
                    .blockJobStall(Duration.ofMinutes(2))
                    .processTimeout(Duration.ofSeconds(8))
                    .connections(5)
                    .listener(l)
                    .snapshotMarkers(false)
                    .executor(mine)
                    .overlayLayout(OverlayLayout.CLASSIC)
                    .maxChainDepth(24);
            Settings expected = new Settings(ImageAccess.LOCAL_FILES, Optional.of(Path.of("/srv/esm")), "/srv/host-esm",
                    Duration.ofSeconds(3), Duration.ofSeconds(6), Duration.ofMinutes(2), Duration.ofSeconds(8), 5, l,
                    false, mine, OverlayLayout.CLASSIC, 24);
            assertEquals(expected, b.settings());
            Settings first = b.settings();
            b.connections(6);
            assertEquals(5, first.connections(), "settings made before are not changed by a later setter");
            assertEquals(6, b.settings().connections());
        } finally {
            mine.shutdown();
        }
    }

    @Test
    void anExecutorThatIsNullOrShutDownIsRefused() {
        ExecutorService down = Executors.newSingleThreadExecutor();
        down.shutdown();
        SnapshotManager.Builder b = SnapshotManager.builder("qemu:///system");
        assertMessage("executor", assertThrows(IllegalArgumentException.class, () -> b.executor(down)));
        assertThrows(NullPointerException.class, () -> b.executor(null));
        assertEquals(Settings.defaults(), b.settings(), "a refused value changes nothing");
        assertThrows(IllegalArgumentException.class, () -> new Settings(ImageAccess.AUTO, Optional.empty(), "/h",
                Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 1,
                OperationListener.NONE, true, down));
    }

    @Test
    void theSnapshotMarkersPropertyIsReadAsBeforeAndOnlyWhenAsked() {
        System.setProperty("esm.snapshotMarkers", "false");
        assertTrue(SnapshotManager.builder("qemu:///system").settings().snapshotMarkers());
        assertFalse(SnapshotManager.builder("qemu:///system").systemProperties().settings().snapshotMarkers());
        System.setProperty("esm.snapshotMarkers", "TRUE");
        assertTrue(SnapshotManager.builder("qemu:///system").systemProperties().settings().snapshotMarkers());
        System.setProperty("esm.snapshotMarkers", "no");
        assertFalse(SnapshotManager.builder("qemu:///system").systemProperties().settings().snapshotMarkers(),
                "Boolean.parseBoolean, as MetadataFiles read it: anything but true turns them off");
        System.clearProperty("esm.snapshotMarkers");
        assertFalse(SnapshotManager.builder("qemu:///system").snapshotMarkers(false).systemProperties().settings()
                .snapshotMarkers(), "an unset property changes nothing");
    }

    @Test
    void chainsHoldSixteenImagesUnlessAnotherDepthFromFourTo200IsChosen() {
        assertEquals(16, Settings.defaults().maxChainDepth());
        assertEquals(16, new Settings(ImageAccess.AUTO, Optional.empty(), "/h", Duration.ZERO, Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(1), 1, OperationListener.NONE, true, SharedWorkers.INSTANCE,
                OverlayLayout.CLASSIC).maxChainDepth(), "the settings of earlier versions get the default depth");
        assertEquals(4, SnapshotManager.builder("qemu:///system").maxChainDepth(4).settings().maxChainDepth());
        assertEquals(200, SnapshotManager.builder("qemu:///system").maxChainDepth(200).settings().maxChainDepth());
        SnapshotManager.Builder b = SnapshotManager.builder("qemu:///system");
        assertEquals("maxChainDepth must be from 4 to 200 images, not 3",
                assertThrows(IllegalArgumentException.class, () -> b.maxChainDepth(3)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.maxChainDepth(201));
        assertEquals(Settings.defaults(), b.settings(), "a refused value changes nothing");
    }

    @Test
    void theChainDepthIsTakenFromItsSystemPropertyAndABadValueIsRefusedNamingIt() {
        try {
            System.setProperty("esm.maxChainDepth", " 8 ");
            assertEquals(8, SnapshotManager.builder("qemu:///system").systemProperties().settings().maxChainDepth());
            System.setProperty("esm.maxChainDepth", "deep");
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> SnapshotManager.builder("qemu:///system").systemProperties()).getMessage()
                    .startsWith("-Desm.maxChainDepth=deep: "));
            System.setProperty("esm.maxChainDepth", "2");
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> SnapshotManager.builder("qemu:///system").systemProperties()).getMessage()
                    .contains("from 4 to 200"));
        } finally {
            System.clearProperty("esm.maxChainDepth");
        }
    }

    @Test
    void overlaysHaveSubclustersUnlessTheClassicLayoutIsChosen() {
        assertEquals(OverlayLayout.SUBCLUSTERS, Settings.defaults().overlayLayout());
        assertEquals(OverlayLayout.SUBCLUSTERS, new Settings(ImageAccess.AUTO, Optional.empty(), "/h", Duration.ZERO,
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), 1, OperationListener.NONE)
                .overlayLayout(), "the settings of earlier versions get the default layout");
        assertEquals(OverlayLayout.CLASSIC, SnapshotManager.builder("qemu:///system")
                .overlayLayout(OverlayLayout.CLASSIC).settings().overlayLayout());
        assertThrows(NullPointerException.class, () -> SnapshotManager.builder("qemu:///system").overlayLayout(null));
    }

    @Test
    void theOverlayLayoutIsTakenFromItsSystemPropertyAndABadNameIsRefusedNamingTheChoices() {
        String before = System.getProperty("esm.overlayLayout");
        try {
            System.setProperty("esm.overlayLayout", "classic");
            assertEquals(OverlayLayout.CLASSIC,
                    SnapshotManager.builder("qemu:///system").systemProperties().settings().overlayLayout());
            System.setProperty("esm.overlayLayout", "tiny");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SnapshotManager.builder("qemu:///system").systemProperties());
            assertTrue(e.getMessage().contains("tiny is not one of [SUBCLUSTERS, CLASSIC]"), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty("esm.overlayLayout");
            } else {
                System.setProperty("esm.overlayLayout", before);
            }
        }
    }
}
