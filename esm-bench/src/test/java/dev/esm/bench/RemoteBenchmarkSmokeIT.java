package dev.esm.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.bench.harness.Stats;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A short pass of the image-access benchmark on the real libvirtd, local variants only (the remote one needs the
 * remote ITs' namespace; {@code scripts/bench-remote.sh} runs it), so that its rows, the floor's raw libvirt calls
 * among them, keep working. Speed is not asserted.
 */
class RemoteBenchmarkSmokeIT {
    @Test
    void theSmokePassMeasuresEveryOperationAndTheFloorThroughTheStorageApi() throws Exception {
        Path json = Files.createTempFile("esm-rbench-", ".json");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<Stats> results = RemoteBenchmark.run(System.getenv().getOrDefault("ESM_TEST_URI", "qemu:///system"), null,
                true, json, new PrintStream(buf, true, StandardCharsets.UTF_8));
        for (String op : new String[] {"create", "revert", "refresh", "delete-middle", "delete-again"}) {
            for (String variant : new String[] {"local/files", "local/storage-api"}) {
                for (int disks : new int[] {1, 4}) {
                    assertTrue(results.stream().anyMatch(r -> r.operation().equals(op) && r.variant().equals(variant)
                            && r.disks() == disks && r.median() > 0), op + " " + variant + " " + disks + ": " + buf);
                }
            }
        }
        for (String op : new String[] {"revert-floor", "coordination"}) {
            assertTrue(results.stream().anyMatch(r -> r.operation().equals(op) && r.variant().equals("local/raw")),
                    op + ": " + buf);
        }
        assertTrue(Files.readString(json).contains("\"revert-floor\""));
        Files.delete(json);
    }
}
