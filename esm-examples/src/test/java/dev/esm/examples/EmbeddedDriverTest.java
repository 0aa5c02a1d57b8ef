package dev.esm.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedDriverTest {
    @Test
    void onlyTheEmbeddedDriverHasARoot() {
        assertEquals(Optional.of(Path.of("/var/tmp/x y")), EmbeddedDriver.root("qemu:///embed?root=/var/tmp/x%20y"));
        assertEquals(Optional.empty(), EmbeddedDriver.root("qemu:///system"));
        assertEquals(Optional.empty(), EmbeddedDriver.root("qemu+ssh://root@host/system"));
        assertEquals(Optional.empty(), EmbeddedDriver.root("qemu:///embed"));
    }

    @Test
    void prepareWritesAConfigurationWithoutVirtlogdOnceAndKeepsAUsersOwn(@TempDir Path dir) throws Exception {
        String uri = "qemu:///embed?root=" + dir;
        assertTrue(EmbeddedDriver.prepare(uri));
        Path conf = dir.resolve("etc/qemu.conf");
        assertTrue(Files.readString(conf).contains("stdio_handler = \"file\""));
        Files.writeString(conf, "# mine\n");
        assertFalse(EmbeddedDriver.prepare(uri));
        assertEquals("# mine\n", Files.readString(conf));
        assertFalse(EmbeddedDriver.prepare("qemu:///system"));
    }
}
