package dev.esm.bench;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import dev.esm.junit5.ThrowawayDomain;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The benchmark's scaling sections: merges of 1 and 4 disks with the same data per disk ({@code disks}), and a
 * fleet of tiny running domains driven from one {@link SnapshotManager}, serially and from several threads
 * ({@code fleet}). Not thread-safe; one instance per run.
 */
final class ScaleBench {

    /** Receives one row of results. */
    @FunctionalInterface
    interface Sink {
        void add(String section, String op, String variant, int disks, String mode, int chain, List<Double> ms,
                 String note);
    }

    private final String uri;
    private final boolean smoke;
    private final int runs;
    private final Sink sink;

    ScaleBench(String uri, boolean smoke, int runs, Sink sink) {
        this.uri = uri;
        this.smoke = smoke;
        this.runs = runs;
        this.sink = sink;
    }

    private static double median(List<Double> ms) {
        List<Double> s = new ArrayList<>(ms);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    // ---------------------------------------------------------------- disks

    /**
     * Merges with the same data on every disk, 1 disk against 4: a middle snapshot's delete (an intermediate commit
     * per disk) and the current snapshot's delete (an active commit and a pivot per disk when live), offline and
     * live. With the disks merged at once, 4 disks should cost little more than 1.
     */
    void disks() throws Exception {
        long size = smoke ? 8L << 20 : 64L << 20;
        String mib = (size >> 20) + " MiB per disk";
        for (String mode : List.of("offline", "live")) {
            double[] middle1 = new double[1];
            double[] current1 = new double[1];
            for (int disks : new int[] {1, 4}) {
                List<Double> middle = new ArrayList<>();
                List<Double> current = new ArrayList<>();
                for (int i = 0; i < (smoke ? 1 : Math.max(2, runs / 3)); i++) {
                    try (SnapshotManager esm = SnapshotManager.connect(uri);
                         ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-bench-disks", disks, 1L << 30)) {
                        DomainSnapshots vm = esm.domain(lab.name());
                        vm.setup(lab.folder() + "/esm").execute();
                        vm.snapshot("a0").create();
                        write(vm, size, 0x61);
                        vm.snapshot("a1").create();
                        write(vm, size, 0x62);
                        if (mode.equals("live")) {
                            lab.start();
                        }
                        middle.add(Benchmark.time(() -> vm.delete("a0").execute()));
                        current.add(Benchmark.time(() -> vm.delete("a1").execute()));
                    }
                }
                String ratioM = disks == 1 ? "" : String.format(Locale.ROOT, "; %.2fx 1 disk", median(middle) / middle1[0]);
                String ratioC = disks == 1 ? "" : String.format(Locale.ROOT, "; %.2fx 1 disk", median(current) / current1[0]);
                if (disks == 1) {
                    middle1[0] = median(middle);
                    current1[0] = median(current);
                }
                sink.add("disks", "delete-middle", "esm", disks, mode, 0, middle, mib + ratioM);
                sink.add("disks", "delete-current", "esm", disks, mode, 0, current,
                        mib + (mode.equals("live") ? ", active commit + pivot" : "") + ratioC);
            }
        }
    }

    /** Writes {@code size} bytes of a pattern into every disk's active image (the domain is shut off). */
    private static void write(DomainSnapshots vm, long size, int pattern) throws Exception {
        for (var disk : vm.disks()) {
            if (disk.ineligible().isEmpty()) {
                Benchmark.exec(List.of("qemu-io", "-f", "qcow2", "-c",
                        String.format("write -P 0x%02x 0 %d", pattern, size), disk.source().orElseThrow()));
            }
        }
    }

    // ---------------------------------------------------------------- fleet

    /**
     * A fleet of running tiny domains driven from one {@link SnapshotManager}: every domain does the same sandbox
     * cycle (two live snapshots; the first deleted by a live merge; a revert to the second that powers the domain
     * off and starts it again; the second deleted by an active commit and pivot), first one domain after another,
     * then from one thread per domain at once, then at once again through a manager limited to one libvirt
     * connection ({@code -Desm.connections=1}, what ESM did before). The notes give operations per second.
     */
    void fleet() throws Exception {
        int size = Integer.getInteger("esm.bench.fleet", smoke ? 4 : 20);
        List<ThrowawayDomain> labs = new ArrayList<>();
        String before = System.getProperty("esm.connections");
        System.setProperty("esm.connections", "1");
        SnapshotManager single = SnapshotManager.connect(uri);
        if (before == null) {
            System.clearProperty("esm.connections");
        } else {
            System.setProperty("esm.connections", before);
        }
        try (single; SnapshotManager esm = SnapshotManager.connect(uri)) {
            List<DomainSnapshots> vms = new ArrayList<>();
            List<DomainSnapshots> viaOne = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-bench-fleet", 1, 64L << 20);
                labs.add(lab);
                DomainSnapshots vm = esm.domain(lab.name());
                vm.setup(lab.folder() + "/esm").execute();
                lab.start();
                vms.add(vm);
                viaOne.add(single.domain(lab.name()));
            }
            for (int i = 0; i < vms.size() && !smoke; i++) {
                cycle(vms.get(i), "w"); // warm-up: every domain's first operations untimed
            }
            int rounds = smoke ? 1 : Math.max(2, runs / 5);
            List<Double> serial = new ArrayList<>();
            List<Double> parallel = new ArrayList<>();
            List<Double> parallelOne = new ArrayList<>();
            List<Double> perOpSerial = new ArrayList<>();
            List<Double> perOpParallel = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(size);
            try {
                for (int r = 0; r < rounds; r++) {
                    String tag = "r" + r;
                    serial.add(Benchmark.time(() -> {
                        for (DomainSnapshots vm : vms) {
                            perOpSerial.addAll(cycle(vm, tag + "s"));
                        }
                    }));
                    parallel.add(Benchmark.time(() -> perOpParallel.addAll(atOnce(pool, vms, tag + "p"))));
                    parallelOne.add(Benchmark.time(() -> atOnce(pool, viaOne, tag + "o")));
                }
            } finally {
                pool.shutdownNow();
            }
            int ops = size * CYCLE_OPS;
            double s = median(serial);
            double p = median(parallel);
            double o = median(parallelOne);
            sink.add("fleet", "cycle", "serial", 1, "live", size, serial, String.format(Locale.ROOT,
                    "%d domains one after another, %d ops: %.1f ops/s", size, ops, ops / (s / 1000)));
            sink.add("fleet", "cycle", size + "-threads", 1, "live", size, parallel, String.format(Locale.ROOT,
                    "%d domains at once, one SnapshotManager: %.1f ops/s, %.2fx serial", size, ops / (p / 1000), s / p));
            sink.add("fleet", "cycle", size + "-threads-1conn", 1, "live", size, parallelOne, String.format(
                    Locale.ROOT, "the same through one libvirt connection: %.1f ops/s, %.2fx serial", ops / (o / 1000),
                    s / o));
            sink.add("fleet", "op", "serial", 1, "live", size, perOpSerial, "one operation's time, serial");
            sink.add("fleet", "op", size + "-threads", 1, "live", size, perOpParallel,
                    "one operation's time, all domains at once");
        } finally {
            for (ThrowawayDomain lab : labs) {
                lab.close();
            }
        }
    }

    /** Runs every domain's cycle at once, one thread each; @return each operation's time in ms */
    private static List<Double> atOnce(ExecutorService pool, List<DomainSnapshots> vms, String tag) throws Exception {
        List<Future<List<Double>>> done = new ArrayList<>();
        for (DomainSnapshots vm : vms) {
            done.add(pool.submit(() -> cycle(vm, tag)));
        }
        List<Double> ms = new ArrayList<>();
        for (Future<List<Double>> f : done) {
            ms.addAll(f.get());
        }
        return ms;
    }

    private static final int CYCLE_OPS = 5;

    /** @return each operation's time in ms */
    private static List<Double> cycle(DomainSnapshots vm, String tag) throws Exception {
        List<Double> ms = new ArrayList<>();
        ms.add(Benchmark.time(() -> vm.snapshot(tag + "1").create()));
        ms.add(Benchmark.time(() -> vm.snapshot(tag + "2").create()));
        ms.add(Benchmark.time(() -> vm.delete(tag + "1").execute()));
        ms.add(Benchmark.time(() -> vm.revert(tag + "2").stopIfRunning().start().execute()));
        ms.add(Benchmark.time(() -> vm.delete(tag + "2").execute()));
        return ms;
    }
}
