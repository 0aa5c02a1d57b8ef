package dev.esm.libvirt.internal.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.errors.DomainBusyException;
import dev.esm.core.port.StateStore;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.internal.local.LocalState;
import dev.esm.libvirt.internal.local.LocalStorage;

/**
 * The per-domain lock file: removed when free, and still exclusive while processes take, remove and make it again
 * as fast as they can.
 */
class LocalLockTest {

    @Test
    void aFreedLockLeavesNoFileAndCanBeTakenAgain() throws Exception {
        Path dir = Files.createTempDirectory("esm-lock-");
        Path lock = dir.resolve("u.lock");
        LocalState s = new LocalState(java.util.Optional.of(dir));
        try (StateStore.Lease l = s.lock("u", Duration.ofSeconds(1))) {
            assertTrue(Files.exists(lock));
            assertThrows(DomainBusyException.class, () -> s.lock("u", Duration.ofMillis(200)),
                    "held by another caller in this process");
            assertTrue(s.lockHolder("u").isPresent(), "a reader sees it held");
        }
        assertFalse(Files.exists(lock), "the free lock's file is gone");
        assertTrue(s.lockHolder("u").isEmpty(), "a reader sees it free");
        s.lock("u", Duration.ofSeconds(1)).close();
        assertEquals(List.of(), new LocalStorage().list(dir.toString()));
        Files.delete(dir);
    }

    /** A child process: takes the lock {@code rounds} times; inside, makes a marker file no one else may have. */
    public static void main(String[] args) throws Exception {
        Path lock = Path.of(args[0]);
        Path inside = lock.resolveSibling("inside");
        LocalState s = new LocalState(java.util.Optional.of(lock.getParent()));
        String key = lock.getFileName().toString().replaceAll("\\.lock$", "");
        for (int i = 0; i < Integer.parseInt(args[1]); i++) {
            try (StateStore.Lease l = s.lock(key, Duration.ofSeconds(60))) {
                try {
                    Files.createFile(inside);
                } catch (FileAlreadyExistsException e) {
                    System.out.println("two holders at once");
                    System.exit(3);
                }
                Thread.onSpinWait();
                Files.delete(inside);
            }
        }
    }

    @Test
    void processesTakingAndRemovingTheLockFileAsFastAsTheyCanNeverHoldItTogether() throws Exception {
        Path dir = Files.createTempDirectory("esm-lock-");
        Path lock = dir.resolve("u.lock");
        List<Process> children = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            children.add(new ProcessBuilder("java", "-cp", System.getProperty("java.class.path"),
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", LocalLockTest.class.getName(), lock.toString(),
                    "300").redirectErrorStream(true).start());
        }
        for (Process p : children) {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished");
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.exitValue(), out);
        }
        assertFalse(Files.exists(lock), "no lock file is left");
        assertFalse(Files.exists(dir.resolve("inside")));
        Files.delete(dir);
    }
}
