package dev.esm.bench;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.Settings;
import dev.esm.core.model.ChainLink;
import dev.esm.core.plan.DepthLimit;
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
 * caches start cold each time, as when a domain starts. Each line of D snapshots is measured twice: as it grows
 * without a limit (D + 1 images; not beyond 200, libvirt's limit) and as ESM keeps it with the default depth limit
 * ({@link Settings#DEFAULT_MAX_CHAIN_DEPTH}) and a lower one ({@code -Desm.bench.limits}, default 16,6): before each new layer, the top takes in the data of the layers nearest to
 * it when {@link DepthLimit} says so, by the same offline pull the engine runs ({@link LocalStorage#pull}). Line
 * lengths from {@code -Desm.bench.depths} (default 1,10,50,200,1000; 1,10,50 in a smoke run). Not thread-safe; one
 * instance per run.
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
        int[] depths = java.util.Arrays.stream(System.getProperty("esm.bench.depths", smoke ? "1,10,50" : "1,10,50,200,1000")
                .split(",")).mapToInt(Integer::parseInt).toArray();
        Path dir = Files.createTempDirectory("esm-bench-depth-");
        try {
            String base = dir.resolve("base.img").toString();
            Processes.exec(List.of("qemu-img", "create", "-q", "-f", "raw", base, Long.toString(size)));
            int reads = smoke ? 400 : 4000;
            long readStep = Math.max(4096, size / reads / 4096 * 4096);
            int rounds = smoke ? 1 : Math.max(3, runs);
            int[] limits = java.util.Arrays.stream(System.getProperty("esm.bench.limits",
                    smoke ? "8" : Settings.DEFAULT_MAX_CHAIN_DEPTH + ",6").split(",")).mapToInt(Integer::parseInt).toArray();
            for (int depth : depths) {
                String top = depth <= Settings.MAX_CHAIN_DEPTH ? chain(dir, base, size, depth, Integer.MAX_VALUE) : null;
                java.util.Map<String, Integer> keptAt = new java.util.LinkedHashMap<>();
                java.util.Map<String, Double> keptSeconds = new java.util.HashMap<>();
                for (int limit : limits) {
                    long started = System.nanoTime();
                    String kept = chain(dir, base, size, depth, limit);
                    keptSeconds.put(kept, (System.nanoTime() - started) / 1e9);
                    keptAt.put(kept, limit);
                }
                String anyTop = top != null ? top : keptAt.keySet().iterator().next();
                String flat = dir.resolve("flat-" + depth + ".qcow2").toString();
                Processes.exec(List.of("qemu-img", "convert", "-q", "-f", "qcow2", "-O", "qcow2", anyTop, flat));
                List<String> images = new ArrayList<>(keptAt.keySet());
                images.add(flat);
                if (top != null) {
                    images.add(0, top);
                }
                Rounds timings = new Rounds();
                timings.run(smoke ? 0 : 1, rounds, images, true, (round, image) -> {
                    String who = image.equals(top) ? "chain" : keptAt.containsKey(image)
                            ? "kept " + keptAt.get(image) : "one image";
                    timings.record(round, "random " + who, QemuTools.bench(image, false, 1, reads, 4096, readStep));
                    timings.record(round, "sequential " + who,
                            QemuTools.bench(image, false, 4, (int) (size >> 20), 1 << 20, 1 << 20));
                });
                for (String op : List.of("random", "sequential")) {
                    List<Double> one = timings.get(op + " one image");
                    String what = op.equals("random")
                            ? String.format(Locale.ROOT, "%d reads of 4 KiB over %d MiB, depth 1", reads, size >> 20)
                            : String.format(Locale.ROOT, "%d MiB in 1 MiB reads, depth 4", size >> 20);
                    String name = op.equals("random") ? "spread-4k-reads" : "sequential-read";
                    sink.add("depth", name, "one image", 1, "offline", depth, one, what + ", the chain's content");
                    if (top != null) {
                        List<Double> chain = timings.get(op + " chain");
                        sink.add("depth", name, "chain", 1, "offline", depth, chain, String.format(Locale.ROOT,
                                "%s, %d images; %.2fx one image", what, depth + 1,
                                Timing.median(chain) / Timing.median(one)));
                    }
                    for (var e : keptAt.entrySet()) {
                        List<Double> limited = timings.get(op + " kept " + e.getValue());
                        sink.add("depth", name, "kept within " + e.getValue(), 1, "offline", depth, limited,
                                String.format(Locale.ROOT, "%s, %d images (limit %d; the line built with its pulls in"
                                        + " %.1f s); %.2fx one image", what, imagesBelow(e.getKey()), e.getValue(),
                                        keptSeconds.get(e.getKey()), Timing.median(limited) / Timing.median(one)));
                    }
                }
                Processes.exec(List.of("rm", "-rf", dir.resolve("chain-" + depth + "-" + Integer.MAX_VALUE).toString(),
                        flat));
                for (int limit : limits) {
                    Processes.exec(List.of("rm", "-rf", dir.resolve("chain-" + depth + "-" + limit).toString()));
                }
            }
        } finally {
            Processes.exec(List.of("rm", "-rf", dir.toString()));
        }
    }

    /** @return how many images the chain of {@code top} holds, the base included */
    private static int imagesBelow(String top) {
        return chainOf(new LocalStorage(), top).size();
    }

    /** @return the chain of {@code top}, top first, with each image's bytes */
    private static List<ChainLink> chainOf(LocalStorage storage, String top) {
        List<ChainLink> out = new ArrayList<>();
        java.util.Optional<DiskImage> img = java.util.Optional.of(new DiskImage("vda", top, ImageFormat.QCOW2));
        while (img.isPresent()) {
            DiskImage i = new DiskImage("vda", img.get().path(), img.get().format());
            out.add(new ChainLink(i, storage.info(i.path(), i.format()).actualSize()));
            img = storage.backing(i.path(), i.format());
        }
        return out;
    }

    /**
     * @return the top of a line of {@code depth} overlays over {@code base}, each holding its share of the data, kept
     *     within {@code limit} images as ESM keeps it
     */
    private static String chain(Path dir, String base, long size, int depth, int limit) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("chain-" + depth + "-" + limit));
        LocalStorage storage = new LocalStorage();
        long written = size / CLUSTER / 4; // every fourth cluster of the disk holds data
        String below = base;
        ImageFormat belowFormat = ImageFormat.RAW;
        for (int layer = 0; layer < depth; layer++) {
            if (limit < Integer.MAX_VALUE && layer > 0) {
                List<ChainLink> links = chainOf(storage, below);
                var anchor = DepthLimit.anchor(links, 1, limit);
                if (anchor.isPresent()) {
                    storage.pull(below, links.get(anchor.getAsInt()).image(), "vda", dev.esm.api.ProgressListener.NONE,
                            dev.esm.core.port.Cancellation.none());
                }
            }
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
