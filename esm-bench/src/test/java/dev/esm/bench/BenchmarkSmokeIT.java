package dev.esm.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A short pass of the benchmark on the real libvirtd, so that it keeps working. Speed is not asserted. */
class BenchmarkSmokeIT {
    @Test
    void theSmokeBenchmarkMeasuresEverySectionAndWritesJson() throws Exception {
        Path json = Files.createTempFile("esm-bench-", ".json");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        var results = Benchmark.run(System.getenv().getOrDefault("ESM_TEST_URI", "qemu:///system"), true, json,
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        for (String section : new String[] {"ops", "cli", "memory", "merge", "disks", "fleet", "chain", "model",
                "travel"}) {
            assertTrue(results.stream().anyMatch(r -> r.section().equals(section)), section + ": " + buf);
        }
        for (String variant : new String[] {"esm", "libvirt-raw", "virsh", "internal", "qemu-img", "pure",
                "esm-oneshot", "esm-batch", "esm-cli-in-jvm", "esm-in-process"}) {
            assertTrue(results.stream().anyMatch(r -> r.variant().equals(variant)), variant);
        }
        assertTrue(Files.readString(json).contains("\"medianMs\""));
        Files.delete(json);
    }
}
