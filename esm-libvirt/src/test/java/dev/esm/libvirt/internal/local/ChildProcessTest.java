package dev.esm.libvirt.internal.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.errors.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.internal.local.ChildProcess;
import dev.esm.libvirt.internal.local.LocalStorage;

/** The helper-process runner keeps its promises: a time limit that holds, both outputs read, children tied to us. */
class ChildProcessTest {

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    @Test
    void aChildThatHangsIsKilledAtTheTimeLimitAndReportedAsSuch() throws Exception {
        Path pidFile = Files.createTempFile("esm-hang-", ".pid");
        try {
            long start = System.nanoTime();
            // Hangs with its output open, as qemu-img on a hung NFS mount would: a reader waiting for the end of the
            // output would wait forever.
            var e = assertThrows(StorageException.class, () -> ChildProcess.run("testing",
                    List.of("sh", "-c", "echo $$ > " + pidFile + "; exec sleep 600"), Duration.ofSeconds(1)));
            long took = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertTrue(took < 8_000, "returned after " + took + " ms");
            assertTrue(e.getMessage().contains("did not finish in 1 s"), e.getMessage());
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            assertFalse(alive(pid), "the hung child was killed");
        } finally {
            Files.deleteIfExists(pidFile);
        }
    }

    @Test
    void localStorageKillsAQemuImgThatOutlivesTheConfiguredProcessTimeout() throws Exception {
        Path fake = Files.createTempFile("esm-fake-qemu-img-", ".sh");
        try {
            Files.writeString(fake, "#!/bin/sh\nexec sleep 600\n");
            fake.toFile().setExecutable(true);
            LocalStorage storage = new LocalStorage(fake.toString(), Duration.ofSeconds(1));
            Path image = Files.createTempFile("esm-image-", ".qcow2");
            try {
                var e = assertThrows(StorageException.class,
                        () -> storage.info(image.toString(), dev.esm.api.ImageFormat.QCOW2));
                assertTrue(e.getMessage().contains("did not finish in 1 s"), e.getMessage());
            } finally {
                Files.deleteIfExists(image);
            }
        } finally {
            Files.deleteIfExists(fake);
        }
    }

    @Test
    void aChildWritingMuchToBothOutputsFinishesAndKeepsThemApart() {
        // 1 MB on stderr before anything on stdout: reading one pipe to its end first would block both sides.
        var r = ChildProcess.run("testing", List.of("sh", "-c",
                "head -c 1000000 /dev/zero | tr '\\0' e >&2; head -c 1000000 /dev/zero | tr '\\0' o; exit 3"),
                Duration.ofSeconds(30));
        assertEquals(3, r.exit());
        assertEquals(1_000_000, r.out().length());
        assertEquals(1_000_000, r.err().length());
        assertTrue(r.out().chars().allMatch(c -> c == 'o'));
        assertTrue(r.err().chars().allMatch(c -> c == 'e'));
    }

    @Test
    void aChildDiesWhenTheThreadThatStartedItEnds() throws Exception {
        // PR_SET_PDEATHSIG fires when the starting thread ends; a SIGKILLed JVM ends every thread at once.
        assertTrue(ChildProcess.SETPRIV.isPresent(), "util-linux's setpriv is installed on the test machine");
        AtomicReference<Process> started = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                started.set(new ProcessBuilder(ChildProcess.tied(List.of("sleep", "600"))).start());
                Thread.sleep(300); // let setpriv set the signal and exec sleep
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        t.start();
        t.join();
        Process p = started.get();
        assertTrue(p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS), "the child ended with its starting thread");
        assertEquals(128 + 9, p.exitValue(), "killed by SIGKILL");
    }

    @Test
    void aLeftoverMergeOfAnImageIsEndedAndNothingElse() throws Exception {
        String image = "/var/tmp/esm-leftover-" + ProcessHandle.current().pid() + "/top image.qcow2";
        // Looks like "qemu-img commit ... <image>" in ps, as a merge a killed JVM left would.
        Process leftover = new ProcessBuilder("sh", "-c", "sleep 600; :", "qemu-img", "commit", "-b", "base", image)
                .start();
        Process other = new ProcessBuilder("sh", "-c", "sleep 600; :", "qemu-img", "commit", "-b", "base",
                image + ".other").start();
        try {
            Thread.sleep(200);
            assertEquals(0, ChildProcess.endLeftovers(image, "qemu-img", "rebase"), "not another kind of job");
            assertEquals(1, ChildProcess.endLeftovers(image, "qemu-img", "commit"), "only the merge of that image");
            assertTrue(other.isAlive(), "not the merge of an image whose name merely starts alike");
            assertTrue(leftover.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || !leftover.isAlive());
        } finally {
            leftover.destroyForcibly();
            other.destroyForcibly();
        }
    }
}
