package dev.esm.bench;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageAccess;
import dev.esm.api.SnapshotManager;
import dev.esm.junit5.ThrowawayDomain;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The cost of reaching images through libvirt's storage API instead of as local files: create, revert and refresh
 * (offline, 1 and 4 disks) and an offline merge, through one libvirtd, three ways: local files over the local
 * URI, the storage API over the local URI, and the storage API over a remote URI (e.g. {@code qemu+ssh://} to the
 * same daemon). Connection set-up is outside the timings. The lab domains are made on this machine, so the remote
 * URI must reach this machine's daemon.
 *
 * <p>{@code java dev.esm.bench.RemoteBenchmark [--local=qemu:///system] [--remote=URI] [--json=FILE] [--smoke]}
 */
public final class RemoteBenchmark {
    private final int runs;
    private final PrintStream out;
    private final List<Stats> results = new ArrayList<>();

    private RemoteBenchmark(int runs, PrintStream out) {
        this.runs = runs;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        String local = "qemu:///system";
        String remote = null;
        Path json = Path.of("esm-examples/target/benchmark-remote.json");
        boolean smoke = false;
        for (String a : args) {
            if (a.startsWith("--local=")) {
                local = a.substring(8);
            } else if (a.startsWith("--remote=")) {
                remote = a.substring(9);
            } else if (a.startsWith("--json=")) {
                json = Path.of(a.substring(7));
            } else if (a.equals("--smoke")) {
                smoke = true;
            }
        }
        run(local, remote, smoke, json, System.out);
    }

    /** Runs every row; returns them (also written to {@code json}). */
    public static List<Stats> run(String local, String remote, boolean smoke, Path json, PrintStream out)
            throws Exception {
        RemoteBenchmark b = new RemoteBenchmark(Integer.getInteger("esm.bench.runs", smoke ? 2 : 11), out);
        out.println("ESM image-access benchmark: local " + local + (remote == null ? "" : ", remote " + remote) + "; "
                + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.version"));
        out.println(Stats.header());
        b.ops(local, local, ImageAccess.LOCAL_FILES, 1, true);
        for (int disks : new int[] {1, 4}) {
            b.ops(local, local, ImageAccess.LOCAL_FILES, disks, false);
            b.ops(local, local, ImageAccess.LIBVIRT_STORAGE, disks, false);
            if (remote != null) {
                b.ops(local, remote, ImageAccess.LIBVIRT_STORAGE, disks, false);
            }
        }
        Files.createDirectories(json.toAbsolutePath().getParent());
        Files.writeString(json, "[\n" + String.join(",\n", b.results.stream().map(Stats::json).toList()) + "\n]\n");
        out.println("written " + json);
        return b.results;
    }

    private void ops(String labUri, String uri, ImageAccess access, int disks, boolean warmUp) throws Exception {
        String variant = (uri.equals(labUri) ? "local" : "remote") + "/"
                + (access == ImageAccess.LOCAL_FILES ? "files" : "storage-api");
        try (ThrowawayDomain lab = ThrowawayDomain.create(labUri, "esm-rbench", disks, 64L << 20);
             SnapshotManager esm = SnapshotManager.connect(uri, access)) {
            DomainSnapshots vm = esm.domain(lab.name());
            vm.setup(lab.folder() + "/esm").execute();
            List<Double> create = new ArrayList<>();
            List<Double> revert = new ArrayList<>();
            List<Double> refresh = new ArrayList<>();
            int n = warmUp ? 5 : runs;
            for (int i = 0; i < n; i++) {
                int k = i;
                create.add(time(() -> vm.snapshot("c" + k).create()));
            }
            for (int i = 0; i < n; i++) {
                revert.add(time(() -> vm.revert("c0").execute()));
                refresh.add(time(() -> vm.refresh().execute()));
            }
            vm.snapshot("m0").create();
            vm.snapshot("m1").create();
            List<Double> merge = List.of(time(() -> vm.delete("m0").execute()));
            if (warmUp) {
                return;
            }
            add("access", "create", variant, disks, create, "");
            add("access", "revert", variant, disks, revert, "");
            add("access", "refresh", variant, disks, refresh, "");
            add("access", "delete-middle", variant, disks, merge, access == ImageAccess.LIBVIRT_STORAGE
                    ? "offline merge in a paused helper domain" : "qemu-img commit");
        }
    }

    private static double time(Benchmark.Action a) throws Exception {
        long t0 = System.nanoTime();
        a.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    private void add(String section, String op, String variant, int disks, List<Double> ms, String note) {
        Stats s = Stats.of(section, op, variant, disks, "offline", 0, ms, note);
        results.add(s);
        out.println(s.row());
    }
}
