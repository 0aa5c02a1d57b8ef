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
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Demo.run(System.getenv().getOrDefault("ESM_TEST_URI", "qemu:///system"),
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
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
