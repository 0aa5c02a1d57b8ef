package dev.esm.bench;

import static dev.esm.bench.harness.Processes.exec;
import static dev.esm.bench.harness.Timing.time;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import dev.esm.bench.harness.Report;
import dev.esm.junit5.ThrowawayDomain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code merge} section: merge throughput, ESM's delete of a snapshot with data to merge (offline and live)
 * against {@code qemu-img commit} and {@code cp} of the same amount. Not thread-safe; one instance per run.
 */
final class MergeBench {
    private final String uri;
    private final boolean smoke;
    private final int runs;
    private final Report report;

    MergeBench(String uri, boolean smoke, int runs, Report report) {
        this.uri = uri;
        this.smoke = smoke;
        this.runs = runs;
        this.report = report;
    }

    /** Runs the section: 64 and 512 MiB to merge (16 MiB for a smoke pass). */
    void run() throws Exception {
        long[] sizes = smoke ? new long[] {16L << 20} : new long[] {64L << 20, 512L << 20};
        for (long size : sizes) {
            String mib = (size >> 20) + " MiB";
            for (boolean live : new boolean[] {false, true}) {
                List<Double> ms = new ArrayList<>();
                for (int i = 0; i < Math.max(2, runs / 5); i++) {
                    try (SnapshotManager esm = SnapshotManager.connect(uri);
                         ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-merge", 1, 1L << 30)) {
                        DomainSnapshots vm = esm.domain(lab.name());
                        vm.setup(lab.folder() + "/esm").execute();
                        vm.snapshot("a0").create();
                        String active = vm.disks().get(0).source().orElseThrow();
                        exec(List.of("qemu-io", "-f", "qcow2", "-c", "write -P 0x61 0 " + size, active));
                        vm.snapshot("a1").create();
                        if (live) {
                            lab.start();
                        }
                        ms.add(time(() -> vm.delete("a0").execute()));
                    }
                }
                add("merge", "delete-merge", "esm", 1, live ? "live" : "offline", 0, ms,
                        mib + ", " + mbps(size, ms) + " MB/s");
            }
            List<Double> qemuImg = new ArrayList<>();
            List<Double> copy = new ArrayList<>();
            for (int i = 0; i < Math.max(2, runs / 5); i++) {
                Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "esm-merge-");
                try {
                    String base = dir + "/base.qcow2";
                    String top = dir + "/top.qcow2";
                    exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", base, "1G"));
                    exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, top));
                    exec(List.of("qemu-io", "-f", "qcow2", "-c", "write -P 0x61 0 " + size, top));
                    qemuImg.add(time(() -> exec(List.of("qemu-img", "commit", "-q", "-f", "qcow2", "-d", top))));
                    copy.add(time(() -> exec(List.of("cp", top, dir + "/copy"))));
                } finally {
                    exec(List.of("rm", "-rf", dir.toString()));
                }
            }
            add("merge", "commit", "qemu-img", 1, "offline", 0, qemuImg, mib + ", " + mbps(size, qemuImg) + " MB/s");
            add("merge", "copy", "cp", 1, "offline", 0, copy, mib + " file copy, " + mbps(size, copy) + " MB/s");
        }
    }

    private static String mbps(long bytes, List<Double> ms) {
        List<Double> s = new ArrayList<>(ms);
        java.util.Collections.sort(s);
        return String.format(java.util.Locale.ROOT, "%.0f", bytes / 1e6 / (s.get(s.size() / 2) / 1000));
    }

    private void add(String section, String op, String variant, int disks, String mode, int chain, List<Double> ms,
                     String note) {
        report.add(section, op, variant, disks, mode, chain, ms, note);
    }
}
