package dev.esm.examples;

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
     * In a JVM of its own: once libvirt's in-process QEMU driver is loaded, the process's qemu:/// URIs all go to
     * it (qemu:///system then fails with "Missing URI parameter 'root'").
     */
    @Test
    void theDemoRunsOnLibvirtsInProcessDriverWithNoDaemon() throws Exception {
        Path root = Path.of("/var/tmp/esm-embed-it");
        Files.createDirectories(root);
        Process p = new ProcessBuilder("java", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", Demo.class.getName(), "qemu:///embed?root=" + root)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), out);
        assertTrue(p.exitValue() == 0, out);
        assertOutput(out);
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
