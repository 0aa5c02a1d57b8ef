package dev.esm.bench;

import static dev.esm.bench.harness.Processes.exec;
import static dev.esm.bench.harness.Timing.median;
import static dev.esm.bench.harness.Timing.time;

import dev.esm.api.DomainSnapshots;
import dev.esm.bench.harness.Report;
import dev.esm.bench.harness.Rounds;
import dev.esm.api.SnapshotManager;
import dev.esm.junit5.ThrowawayDomain;
import java.util.ArrayList;
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

    private final String uri;
    private final boolean smoke;
    private final int runs;
    private final Report sink;

    ScaleBench(String uri, boolean smoke, int runs, Report sink) {
        this.uri = uri;
        this.smoke = smoke;
        this.runs = runs;
        this.sink = sink;
    }

    // ---------------------------------------------------------------- disks

    /**
     * Merges with the same data on every disk, 1 disk against 4: a middle snapshot's delete (an intermediate commit
     * per disk) and the current snapshot's delete (an active commit and a pivot per disk when live), offline and
     * live, with 64 MiB per disk (the copying dominates) and 1 MiB per disk (ESM's own steps dominate). Next to each,
     * the floor: the same merges on the same images made raw, all disks' jobs started at once from one thread each
     * (live: libvirt-java's {@code blockCommit}, waited for with its block-job events, an active one pivoted when ready
     * as ESM does, asked for without waiting;
     * offline: one {@code qemu-img commit} per disk), nothing else (no metadata, no removals). The rounds run 1 disk
     * and 4, ESM and floor, in turn, so that a loaded machine weighs on all of them alike.
     */
    void disks() throws Exception {
        List<Long> sizes = smoke ? List.of(8L << 20) : List.of(64L << 20, 1L << 20);
        int rounds = smoke ? 1 : Math.max(2, runs / 3);
        for (String mode : List.of("offline", "live")) {
            for (long size : sizes) {
                String mib = (size >> 20) + " MiB per disk";
                // Each round: 1 disk through ESM, then raw, then 4 disks the same; kept as "<v> <d> <o>" with
                // v 0 esm, 1 floor; d 0 one disk, 1 four; o 0 middle, 1 current.
                Rounds ms = new Rounds();
                ms.run(0, rounds, List.of(0, 1, 2, 3), false, (round, turn) -> {
                    int d = turn / 2;
                    int v = turn % 2;
                    double[] t = round(mode, size, d == 0 ? 1 : 4, v == 1);
                    ms.record(round, v + " " + d + " 0", t[0]);
                    ms.record(round, v + " " + d + " 1", t[1]);
                });
                String floor = mode.equals("live") ? "libvirt" : "qemu-img";
                for (int v = 0; v < 2; v++) {
                    for (int d = 0; d < 2; d++) {
                        for (int o = 0; o < 2; o++) {
                            List<Double> got = ms.get(v + " " + d + " " + o);
                            String ratio = d == 0 ? "" : String.format(Locale.ROOT, "; %.2fx 1 disk",
                                    median(got) / median(ms.get(v + " 0 " + o)));
                            String what = v == 0 ? "" : mode.equals("live")
                                    ? (o == 0 ? ", raw blockCommit per disk at once" : ", raw active blockCommit + pivot per disk at once")
                                    : ", one qemu-img commit per disk at once";
                            String extra = v == 0 && o == 1 && mode.equals("live") ? ", active commit + pivot" : "";
                            sink.add("disks", o == 0 ? "delete-middle" : "delete-current", v == 0 ? "esm" : floor,
                                    d == 0 ? 1 : 4, mode, 0, got, mib + extra + what + ratio);
                        }
                    }
                }
            }
        }
    }

    /**
     * One domain with two snapshots and {@code size} bytes written after each; then the middle snapshot's merge and
     * the current one's, through ESM or raw ({@code floor}).
     *
     * @return the two merges' times in ms
     */
    private double[] round(String mode, long size, int disks, boolean floor) throws Exception {
        try (SnapshotManager esm = SnapshotManager.connect(uri);
             ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-bench-disks", disks, 1L << 30)) {
            DomainSnapshots vm = esm.domain(lab.name());
            vm.setup(lab.folder() + "/esm").execute();
            vm.snapshot("a0").create();
            write(vm, size, 0x61);
            vm.snapshot("a1").create();
            write(vm, size, 0x62);
            boolean live = mode.equals("live");
            if (live) {
                lab.start();
            }
            if (!floor) {
                return new double[] {time(() -> vm.delete("a0").execute()),
                        time(() -> vm.delete("a1").execute())};
            }
            // Each disk's chain: active (after a1), a1's image (top), a0's image (base), ...
            List<List<String>> chains = new ArrayList<>();
            for (var disk : vm.disks()) {
                if (disk.ineligible().isEmpty()) {
                    chains.add(chain(disk.source().orElseThrow()));
                }
            }
            List<String> targets = new ArrayList<>();
            vm.disks().stream().filter(x -> x.ineligible().isEmpty()).forEach(x -> targets.add(x.target()));
            ExecutorService pool = Executors.newFixedThreadPool(disks);
            try {
                if (!live) {
                    double middle = atOnce(pool, disks, i -> exec(List.of("qemu-img", "commit", "-f", "qcow2",
                            "-b", chains.get(i).get(2), chains.get(i).get(1))));
                    double current = atOnce(pool, disks, i -> exec(List.of("qemu-img", "commit", "-f",
                            "qcow2", "-b", chains.get(i).get(1), chains.get(i).get(0))));
                    return new double[] {middle, current};
                }
                org.libvirt.Connect conn = new org.libvirt.Connect(uri, false);
                org.libvirt.Domain d = conn.domainLookupByName(lab.name());
                // libvirt-java's block-job event names the disk by its target (BLOCK_JOB_2).
                java.util.Map<String, java.util.concurrent.BlockingQueue<org.libvirt.event.BlockJobStatus>> events =
                        new java.util.concurrent.ConcurrentHashMap<>();
                List<java.util.concurrent.BlockingQueue<org.libvirt.event.BlockJobStatus>> queues = new ArrayList<>();
                for (String t : targets) {
                    var q = new java.util.concurrent.LinkedBlockingQueue<org.libvirt.event.BlockJobStatus>();
                    queues.add(q);
                    events.put(t, q);
                }
                org.libvirt.event.BlockJobListener listener = (dom, disk, type, status) -> {
                    var q = events.get(disk);
                    if (q != null) {
                        q.add(status);
                    }
                };
                d.addBlockJobListener(listener);
                try {
                    double middle = atOnce(pool, disks, i -> {
                        d.blockCommit(targets.get(i), chains.get(i).get(2), chains.get(i).get(1), 0, 0);
                        await(d, targets.get(i), queues.get(i), org.libvirt.event.BlockJobStatus.COMPLETED, false);
                    });
                    queues.forEach(java.util.Collection::clear);
                    double current = atOnce(pool, disks, i -> {
                        d.blockCommit(targets.get(i), chains.get(i).get(2), chains.get(i).get(0), 0,
                                org.libvirt.Domain.BlockCommitFlags.ACTIVE);
                        await(d, targets.get(i), queues.get(i), org.libvirt.event.BlockJobStatus.READY, true);
                        while (true) {
                            try {
                                d.blockJobAbort(targets.get(i), org.libvirt.Domain.BlockJobAbortFlags.PIVOT
                                        | org.libvirt.Domain.BlockJobAbortFlags.ASYNC);
                                break;
                            } catch (org.libvirt.LibvirtException notReady) {
                                Thread.sleep(10);
                            }
                        }
                        await(d, targets.get(i), queues.get(i), org.libvirt.event.BlockJobStatus.COMPLETED, false);
                    });
                    return new double[] {middle, current};
                } finally {
                    d.removeBlockJobListener(listener);
                    d.free();
                    conn.close();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Waits for a disk's block-job event {@code wanted}; without an event for 100 ms, looks at the job: gone (or, for
     * {@code ready}, at its end) counts as the event.
     */
    private static void await(org.libvirt.Domain d, String disk,
                              java.util.concurrent.BlockingQueue<org.libvirt.event.BlockJobStatus> q,
                              org.libvirt.event.BlockJobStatus wanted, boolean ready) throws Exception {
        while (true) {
            org.libvirt.event.BlockJobStatus s = q.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (s == wanted) {
                return;
            }
            if (s == null) {
                org.libvirt.DomainBlockJobInfo info = d.getBlockJobInfo(disk, 0);
                boolean gone = info == null || (info.type == 0 && info.end == 0);
                if (ready ? !gone && info.end > 0 && info.cur == info.end : gone) {
                    return;
                }
            }
        }
    }

    @FunctionalInterface
    private interface PerDisk {
        void run(int disk) throws Exception;
    }

    /** Runs {@code work} for every disk at once, one thread each; @return the time until all ended, in ms */
    private static double atOnce(ExecutorService pool, int disks, PerDisk work) throws Exception {
        return time(() -> {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < disks; i++) {
                int disk = i;
                all.add(pool.submit(() -> {
                    work.run(disk);
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get();
            }
        });
    }

    /** @return an image and its backing images, top down, as qemu-img gives them */
    private static List<String> chain(String image) throws Exception {
        Process p = new ProcessBuilder("qemu-img", "info", "-U", "--backing-chain", "--output=json", image)
                .redirectErrorStream(true).start();
        String json = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        List<String> out = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"filename\": \"([^\"]+)\"").matcher(json);
        while (m.find()) {
            out.add(m.group(1));
        }
        if (out.size() < 3) {
            throw new IllegalStateException("unexpected chain of " + image + ": " + json);
        }
        return out;
    }

    /** Writes {@code size} bytes of a pattern into every disk's active image (the domain is shut off). */
    private static void write(DomainSnapshots vm, long size, int pattern) throws Exception {
        for (var disk : vm.disks()) {
            if (disk.ineligible().isEmpty()) {
                exec(List.of("qemu-io", "-f", "qcow2", "-c",
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
                    serial.add(time(() -> {
                        for (DomainSnapshots vm : vms) {
                            perOpSerial.addAll(cycle(vm, tag + "s"));
                        }
                    }));
                    parallel.add(time(() -> perOpParallel.addAll(atOnce(pool, vms, tag + "p"))));
                    parallelOne.add(time(() -> atOnce(pool, viaOne, tag + "o")));
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
        ms.add(time(() -> vm.snapshot(tag + "1").create()));
        ms.add(time(() -> vm.snapshot(tag + "2").create()));
        ms.add(time(() -> vm.delete(tag + "1").execute()));
        ms.add(time(() -> vm.revert(tag + "2").stopIfRunning().start().execute()));
        ms.add(time(() -> vm.delete(tag + "2").execute()));
        return ms;
    }
}
