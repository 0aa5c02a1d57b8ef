package dev.esm.bench;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import dev.esm.bench.harness.Args;
import dev.esm.bench.harness.Report;
import dev.esm.bench.harness.Stats;
import dev.esm.junit5.ThrowawayDomain;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Measures ESM against the libvirt floor, the shell process chain and internal snapshots, the {@code esm} tool (a
 * process per command and one shell process for many), merge throughput and chain-length cost, on the real libvirtd,
 * and prints a table and writes JSON. This class reads the command line, picks the sections and prints; each section
 * is a class of its own ({@link OpsBench}, {@link CliBench}, {@link MergeBench}, {@link ScaleBench} for {@code disks}
 * and {@code fleet}, {@link ChainBench}, {@link TreeBench}, {@link ModelBench}, {@link MemoryBench}, {@link LayoutBench}, {@link DepthBench},
 * {@link TravelBench}) on the harness's {@link Report}.
 *
 * <pre>java [-Desm.bench.runs=15] [-Desm.bench.chains=1,50,200,1000,10000]
 *     [-Desm.bench.sections=ops,cli,cli-batch,merge,disks,fleet,chain,tree,model,memory,layout,depth,travel]
 *     [-Desm.bench.fleet=20]
 *     [-Desm.bench.opsDisks=1,4] [-Desm.bench.opsModes=offline,live] [-Desm.bench.treeSizes=1000,10000]
 *     [-Desm.bench.remoteUri=URI] [-Desm.bench.fleetThreads=20] [-Desm.bench.memorySizes=64,256,1024]
 *     [-Desm.bench.depths=1,10,50,200,1000] [-Desm.bench.limits=16,6] [-Desm.bench.otherUri=URI]
 *     dev.esm.bench.Benchmark [--smoke] [--json=FILE] [--uri=URI]</pre>
 */
public final class Benchmark {
    /** The sections to run ({@code -Desm.bench.sections=ops,cli,merge,disks,fleet,chain,model,memory,layout,depth,
     * travel}, and
     * {@code cli-batch}: the batch half of {@code cli} only); null for all. */
    private final Set<String> sections;

    private Benchmark(Set<String> sections) {
        this.sections = sections;
    }

    private boolean want(String section) {
        return sections == null || sections.contains(section);
    }

    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args);
        run(a.get("uri", SnapshotManager.defaultUri()), a.smoke(), a.json("esm-bench/target/benchmark.json"),
                System.out);
    }

    /** Runs every section asked for (all when {@code -Desm.bench.sections} is unset); returns the results (also
     * written to {@code json}). */
    public static List<Stats> run(String uri, boolean smoke, Path json, PrintStream out) throws Exception {
        String only = System.getProperty("esm.bench.sections");
        Benchmark b = new Benchmark(only == null ? null : Set.of(only.split(",")));
        int runs = Args.runs(smoke, 2, 15);
        int[] chains = Arrays.stream(System.getProperty("esm.bench.chains", smoke ? "1,10" : "1,50,200,1000,10000")
                .split(",")).mapToInt(Integer::parseInt).toArray();
        Report report = new Report(out);
        out.println("ESM benchmark on " + uri + (smoke ? " (smoke: few runs, nothing asserted)" : "") + "; "
                + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.version"));
        warmUp(uri);
        report.header();
        OpsBench ops = new OpsBench(uri, runs, report);
        CliBench cli = new CliBench(uri, smoke, runs, report);
        List<String> opsDisks = List.of(System.getProperty("esm.bench.opsDisks", "1,4").split(","));
        for (int disks : new int[] {1, 4}) {
            if (b.want("ops") && opsDisks.contains(Integer.toString(disks))) {
                ops.run(disks);
            }
            if (b.want("cli") || b.want("cli-batch")) {
                cli.run(disks, b.want("cli"));
            }
        }
        if (b.want("merge")) {
            new MergeBench(uri, smoke, runs, report).run();
        }
        ScaleBench scale = new ScaleBench(uri, smoke, runs, report);
        if (b.want("disks")) {
            scale.disks();
        }
        if (b.want("fleet")) {
            scale.fleet();
        }
        if (b.want("chain")) {
            new ChainBench(uri, runs, chains, report).run();
        }
        if (b.want("tree")) {
            new TreeBench(uri, smoke, runs, report).run();
        }
        if (b.want("model")) {
            new ModelBench(smoke, runs, report).run();
        }
        if (b.want("memory")) {
            new MemoryBench(uri, smoke, runs, report).run();
        }
        if (b.want("layout")) {
            new LayoutBench(smoke, runs, report).run();
        }
        if (b.want("depth")) {
            new DepthBench(smoke, runs, report).run();
        }
        if (b.want("travel")) {
            new TravelBench(uri, smoke, runs, report).run();
        }
        return report.writeJson(json);
    }

    /** Untimed rounds of every kind of call first, so that the JIT and libvirt's caches do not bias the first rows. */
    private static void warmUp(String uri) throws Exception {
        try (SnapshotManager esm = SnapshotManager.connect(uri);
             ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-warmup", 2, 64L << 20)) {
            DomainSnapshots vm = esm.domain(lab.name());
            vm.setup(lab.folder() + "/esm").execute();
            for (int i = 0; i < 20; i++) {
                vm.snapshot("w" + i).create();
                vm.revert("w0").execute();
                vm.chain();
            }
            vm.delete("w1").execute();
            vm.commit("w0", "w3").execute();
        }
    }
}
