package dev.esm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link SnapshotManager#builder(String)} and the {@link Settings} it makes. */
class SettingsTest {
    private static final String[] PROPERTIES = {"esm.imageAccess", "esm.stateDir", "esm.hostStateDir", "esm.lockWait",
        "esm.leaseTtl", "esm.blockJobStall", "esm.processTimeout", "esm.connections"};

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
}
