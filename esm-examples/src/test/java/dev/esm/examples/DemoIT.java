package dev.esm.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's main job, run against the real libvirtd. */
class DemoIT {
    @Test
    void theDemoWalksTheLifecycleAndRemovesWhatItMade() throws Exception {
        check(System.getenv().getOrDefault("ESM_TEST_URI", "qemu:///system"));
    }

    /**
     * The README's first command on a bare machine: libvirt's in-process driver, with no daemon and no virtlogd
     * reachable (the demo runs in a private mount namespace whose {@code /run/libvirt} is an empty tmpfs, so the
     * daemons this machine runs for the other tests are invisible to it) and a fresh embed root with no
     * configuration. In a JVM of its own: once libvirt's in-process QEMU driver is loaded, the process's
     * qemu:/// URIs all go to it.
     */
    @Test
    void theDemoRunsOnABareMachineWithNoDaemonAndNoVirtlogd() throws Exception {
        Path root = Path.of("/var/tmp/esm-embed-bare-it");
        deleteTree(root);
        Files.createDirectories(Path.of("/run/libvirt"));
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String script = "set -e; mount -t tmpfs esm-bare /run/libvirt;"
                + " if [ -e /run/libvirt/virtlogd-sock ] || [ -e /run/libvirt/libvirt-sock ]; then"
                + " echo 'daemon sockets still visible'; exit 99; fi;"
                + " exec \"$@\"";
        Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "bare",
                javaBin, "-cp", System.getProperty("java.class.path"), "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                Demo.class.getName(), "qemu:///embed?root=" + root)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertOutput(out);
        assertTrue(Files.readString(root.resolve("etc/qemu.conf")).contains("stdio_handler = \"file\""),
                "the demo wrote the embedded driver's configuration");
        deleteTree(root);
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        if (Files.exists(root)) {
            try (var s = Files.walk(root)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static void check(String uri) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Demo.run(uri, new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertOutput(buf.toString(StandardCharsets.UTF_8));
    }

    private static void assertOutput(String out) {
        assertTrue(out.contains("+- configured"), out);
        assertTrue(out.contains("+- experiment"), out);
        String last = out.substring(out.lastIndexOf("== delete 'installed'"));
        assertTrue(last.contains("base\n+- configured *\n"), "after the commit and deletes only 'configured' is left,"
                + " and current:\n" + out);
        String folder = out.lines().filter(l -> l.startsWith("ESM demo")).findFirst().orElseThrow()
                .replaceAll(".* in ", "");
        assertFalse(Files.exists(Path.of(folder)), "the demo removed " + folder);
    }
}
