package dev.esm.bench;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.OverlayLayout;
import dev.esm.bench.harness.Processes;
import dev.esm.bench.harness.QemuTools;
import dev.esm.bench.harness.Report;
import dev.esm.bench.harness.Rounds;
import dev.esm.libvirt.internal.local.LocalStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's {@code layout} section: what a guest's writes into a fresh overlay cost in each {@link
 * OverlayLayout}, on overlays ESM makes ({@link LocalStorage#createOverlay}) over a raw base full of data, measured
 * with {@code qemu-img bench} (O_DIRECT, so the page cache hides no copy-up):
 * <ul>
 *   <li>first 4 KiB writes: one into each 128 KiB of the disk (a cluster not yet written in either layout), at queue
 *       depth 1 (a guest writing synchronously) and 16;</li>
 *   <li>a whole-disk rewrite in 1 MiB writes (whole clusters: nothing to copy up in either layout).</li>
 * </ul>
 * Each round makes a fresh overlay per layout and variant, in turn. Not thread-safe; one instance per run.
 */
final class LayoutBench {
    private final boolean smoke;
    private final int runs;
    private final Report sink;

    LayoutBench(boolean smoke, int runs, Report sink) {
        this.smoke = smoke;
        this.runs = runs;
        this.sink = sink;
    }

    void run() throws Exception {
        long size = smoke ? 64L << 20 : 1L << 30;
        Path dir = Files.createTempDirectory("esm-bench-layout-");
        try {
            String base = dir.resolve("base.img").toString();
            Processes.exec(List.of("qemu-img", "create", "-q", "-f", "raw", base, Long.toString(size)));
            Processes.exec(List.of("qemu-io", "-f", "raw", "-c", "write -P 0x11 0 " + size, base));
            int firstWrites = (int) (size / (128 << 10));
            record Variant(String op, int depth, int count, int bytes, int step) { }
            List<Variant> variants = List.of(
                    new Variant("first-4k-writes", 1, firstWrites, 4096, 128 << 10),
                    new Variant("first-4k-writes", 16, firstWrites, 4096, 128 << 10),
                    new Variant("rewrite-1m", 4, (int) (size >> 20), 1 << 20, 1 << 20));
            List<OverlayLayout> layouts = List.of(OverlayLayout.CLASSIC, OverlayLayout.SUBCLUSTERS);
            Rounds timings = new Rounds();
            int rounds = smoke ? 1 : Math.max(3, runs);
            timings.run(smoke ? 0 : 1, rounds, layouts, true, (round, layout) -> {
                for (Variant v : variants) {
                    String overlay = dir.resolve("o-" + layout + ".qcow2").toString();
                    Files.deleteIfExists(Path.of(overlay));
                    new LocalStorage("qemu-img", Duration.ofMinutes(5), layout)
                            .createOverlay(overlay, new DiskImage("vda", base, ImageFormat.RAW));
                    double took = QemuTools.bench(overlay, true, v.depth(), v.count(), v.bytes(), v.step());
                    timings.record(round, v.op() + " " + v.depth() + " " + layout, took);
                    Files.delete(Path.of(overlay));
                }
            });
            for (Variant v : variants) {
                List<Double> classic = timings.get(v.op() + " " + v.depth() + " " + OverlayLayout.CLASSIC);
                for (OverlayLayout layout : layouts) {
                    List<Double> ms = timings.get(v.op() + " " + v.depth() + " " + layout);
                    double iops = v.count() / (dev.esm.bench.harness.Timing.median(ms) / 1000);
                    String note = String.format(Locale.ROOT, "%d writes of %d KiB, queue depth %d, %.0f IOPS",
                            v.count(), v.bytes() >> 10, v.depth(), iops);
                    if (layout != OverlayLayout.CLASSIC) {
                        note += String.format(Locale.ROOT, "; %.2fx classic's IOPS",
                                dev.esm.bench.harness.Timing.median(classic) / dev.esm.bench.harness.Timing.median(ms));
                    }
                    sink.add("layout", v.op(), layout.name().toLowerCase(Locale.ROOT), 1, "offline", 1, ms, note);
                }
            }
        } finally {
            Processes.exec(List.of("rm", "-rf", dir.toString()));
        }
    }
}
