package dev.esm.bench;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.bench.harness.Processes;
import dev.esm.bench.harness.QemuTools;
import dev.esm.bench.harness.Report;
import dev.esm.bench.harness.Rounds;
import dev.esm.bench.harness.Timing;
import dev.esm.libvirt.internal.local.LocalStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark's {@code depth} section: what reading through a chain of D images costs against the same content in
 * one image, measured with {@code qemu-img bench} on the host (O_DIRECT). The chain is made as ESM makes it (its
 * overlays, {@link LocalStorage#createOverlay}, in the default layout) over an empty raw base; a quarter of the disk's
 * 64 KiB clusters hold data, every fourth one, dealt out to the layers in turn, so that the data lies at every depth
 * and a read of a cluster nobody wrote goes down to the base. The same content in one image is {@code qemu-img
 * convert} of the chain's top. Reads: 4 KiB ones spread evenly over the whole disk (4,000 at queue depth 1), and the
 * whole disk read in 1 MiB requests (depth 4). Each {@code qemu-img bench} is a new process, so QEMU's metadata
 * caches start cold each time, as when a domain starts. Chain depths from {@code -Desm.bench.depths} (default
 * 1,10,50,200; 1,10 in a smoke run). Not thread-safe; one instance per run.
 */
final class DepthBench {
    private static final int CLUSTER = 64 << 10;

    private final boolean smoke;
    private final int runs;
    private final Report sink;

    DepthBench(boolean smoke, int runs, Report sink) {
        this.smoke = smoke;
        this.runs = runs;
        this.sink = sink;
    }

    void run() throws Exception {
        long size = smoke ? 64L << 20 : 1L << 30;
        int[] depths = java.util.Arrays.stream(System.getProperty("esm.bench.depths", smoke ? "1,10" : "1,10,50,200")
                .split(",")).mapToInt(Integer::parseInt).toArray();
        Path dir = Files.createTempDirectory("esm-bench-depth-");
        try {
            String base = dir.resolve("base.img").toString();
            Processes.exec(List.of("qemu-img", "create", "-q", "-f", "raw", base, Long.toString(size)));
            int reads = smoke ? 400 : 4000;
            long readStep = Math.max(4096, size / reads / 4096 * 4096);
            int rounds = smoke ? 1 : Math.max(3, runs);
            for (int depth : depths) {
                String top = chain(dir, base, size, depth);
                String flat = dir.resolve("flat-" + depth + ".qcow2").toString();
                Processes.exec(List.of("qemu-img", "convert", "-q", "-f", "qcow2", "-O", "qcow2", top, flat));
                Rounds timings = new Rounds();
                timings.run(smoke ? 0 : 1, rounds, List.of(top, flat), true, (round, image) -> {
                    String who = image.equals(top) ? "chain" : "one image";
                    timings.record(round, "random " + who, QemuTools.bench(image, false, 1, reads, 4096, readStep));
                    timings.record(round, "sequential " + who,
                            QemuTools.bench(image, false, 4, (int) (size >> 20), 1 << 20, 1 << 20));
                });
                for (String op : List.of("random", "sequential")) {
                    List<Double> one = timings.get(op + " one image");
                    List<Double> chain = timings.get(op + " chain");
                    String what = op.equals("random")
                            ? String.format(Locale.ROOT, "%d reads of 4 KiB over %d MiB, depth 1", reads, size >> 20)
                            : String.format(Locale.ROOT, "%d MiB in 1 MiB reads, depth 4", size >> 20);
                    String name = op.equals("random") ? "spread-4k-reads" : "sequential-read";
                    sink.add("depth", name, "one image", 1, "offline", depth, one, what + ", the chain's content");
                    sink.add("depth", name, "chain", 1, "offline", depth, chain, String.format(Locale.ROOT,
                            "%s, %d images; %.2fx one image", what, depth + 1,
                            Timing.median(chain) / Timing.median(one)));
                }
                Processes.exec(List.of("rm", "-rf", dir.resolve("chain-" + depth).toString(), flat));
            }
        } finally {
            Processes.exec(List.of("rm", "-rf", dir.toString()));
        }
    }

    /** @return the top of a chain of {@code depth} overlays over {@code base}, each holding its share of the data */
    private static String chain(Path dir, String base, long size, int depth) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("chain-" + depth));
        LocalStorage storage = new LocalStorage();
        long written = size / CLUSTER / 4; // every fourth cluster of the disk holds data
        String below = base;
        ImageFormat belowFormat = ImageFormat.RAW;
        for (int layer = 0; layer < depth; layer++) {
            String image = folder.resolve("layer-" + layer + ".qcow2").toString();
            storage.createOverlay(image, new DiskImage("vda", below, belowFormat));
            List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
            for (long j = layer; j < written; j += depth) {
                cmd.add("-c");
                cmd.add("write -P " + (1 + layer % 250) + " " + j * 4 * CLUSTER + " " + CLUSTER);
            }
            cmd.add(image);
            if (cmd.size() > 4) {
                Processes.exec(cmd);
            }
            below = image;
            belowFormat = ImageFormat.QCOW2;
        }
        return below;
    }
}
