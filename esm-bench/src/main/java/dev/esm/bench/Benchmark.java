package dev.esm.bench;

import static dev.esm.bench.harness.Timing.median;
import static dev.esm.bench.harness.Timing.time;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.ImageFormat;
import dev.esm.api.SnapshotManager;
import dev.esm.api.SnapshotState;
import dev.esm.bench.harness.Args;
import dev.esm.bench.harness.Report;
import dev.esm.bench.harness.Rounds;
import dev.esm.bench.harness.Stats;
import dev.esm.bench.harness.Timing.Action;
import dev.esm.cli.EsmCli;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.model.SnapshotTree;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.Planner;
import dev.esm.core.plan.RevertPlanner;
import dev.esm.core.xml.DomainXml;
import dev.esm.junit5.RamFiller;
import dev.esm.junit5.ThrowawayDomain;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;

/**
 * Measures ESM against the libvirt floor, the shell process chain and internal snapshots, the {@code esm} tool (a
 * process per command and one shell process for many), merge throughput and chain-length cost, on the real libvirtd,
 * and prints a table and writes JSON.
 *
 * <pre>java [-Desm.bench.runs=15] [-Desm.bench.chains=1,50,200,1000,10000]
 *     [-Desm.bench.sections=ops,cli,cli-batch,merge,disks,fleet,chain,model,memory,layout,depth] [-Desm.bench.fleet=20]
 *     [-Desm.bench.fleetThreads=20] [-Desm.bench.memorySizes=64,256,1024] [-Desm.bench.depths=1,10,50,200]
 *     dev.esm.bench.Benchmark [--smoke] [--json=FILE] [--uri=URI]</pre>
 */
public final class Benchmark {
    private final String uri;
    private final boolean smoke;
    private final int runs;
    private final PrintStream out;
    private final Report report;

    private int[] chains;
    /** The sections to run ({@code -Desm.bench.sections=ops,cli,merge,disks,fleet,chain,model,memory,layout,depth}, and
     * {@code cli-batch}: the batch half of {@code cli} only); all when unset. */
    private final java.util.Set<String> sections = System.getProperty("esm.bench.sections") == null ? null
            : java.util.Set.of(System.getProperty("esm.bench.sections").split(","));

    private boolean want(String section) {
        return sections == null || sections.contains(section);
    }

    private Benchmark(String uri, boolean smoke, PrintStream out) {
        this.uri = uri;
        this.smoke = smoke;
        this.runs = Args.runs(smoke, 2, 15);
        this.chains = java.util.Arrays.stream(System.getProperty("esm.bench.chains", smoke ? "1,10" : "1,50,200,1000,10000")
                .split(",")).mapToInt(Integer::parseInt).toArray();
        this.out = out;
        this.report = new Report(out);
    }

    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args);
        run(a.get("uri", SnapshotManager.defaultUri()), a.smoke(), a.json("esm-bench/target/benchmark.json"),
                System.out);
    }

    /** Runs everything; returns the results (also written to {@code json}). */
    public static List<Stats> run(String uri, boolean smoke, Path json, PrintStream out) throws Exception {
        Benchmark b = new Benchmark(uri, smoke, out);
        out.println("ESM benchmark on " + uri + (smoke ? " (smoke: few runs, nothing asserted)" : "") + "; "
                + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.version"));
        b.warmUp();
        b.report.header();
        for (int disks : new int[] {1, 4}) {
            if (b.want("ops")) {
                b.offline(disks);
                b.live(disks);
            }
            if (b.want("cli") || b.want("cli-batch")) {
                b.cli(disks, b.want("cli"));
            }
        }
        if (b.want("merge")) {
            b.merges();
        }
        ScaleBench scale = new ScaleBench(uri, smoke, b.runs, b.report);
        if (b.want("disks")) {
            scale.disks();
        }
        if (b.want("fleet")) {
            scale.fleet();
        }
        if (b.want("chain")) {
            b.chainLength();
        }
        if (b.want("model")) {
            b.pureModel();
        }
        if (b.want("memory")) {
            b.memory();
        }
        if (b.want("layout")) {
            new LayoutBench(smoke, b.runs, b.report).run();
        }
        if (b.want("depth")) {
            new DepthBench(smoke, b.runs, b.report).run();
        }
        return b.report.writeJson(json);
    }

    private void add(String section, String op, String variant, int disks, String mode, int chain, List<Double> ms,
                     String note) {
        report.add(section, op, variant, disks, mode, chain, ms, note);
    }

    /** Untimed rounds of every kind of call first, so that the JIT and libvirt's caches do not bias the first rows. */
    private void warmUp() throws Exception {
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

    // ---------------------------------------------------------------- offline: ESM, libvirt floor, virsh, internal

    private void offline(int disks) throws Exception {
        try (SnapshotManager esm = SnapshotManager.connect(uri);
             ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-bench", disks, 64L << 20)) {
            DomainSnapshots vm = esm.domain(lab.name());
            vm.setup(lab.folder() + "/esm").execute();
            List<Double> create = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                int n = i;
                create.add(time(() -> vm.snapshot("c" + n).create()));
            }
            add("ops", "create", "esm", disks, "offline", runs, create, "");
            List<Double> revert = new ArrayList<>();
            List<Double> refresh = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                revert.add(time(() -> vm.revert("c0").execute()));
                refresh.add(time(() -> vm.refresh().execute()));
            }
            add("ops", "revert", "esm", disks, "offline", runs, revert, "");
            add("ops", "refresh", "esm", disks, "offline", runs, refresh, "");
            deletesAndCommit(vm, disks, "offline");
        }
        floorAndShell(disks);
        internal(disks, false);
    }

    // ---------------------------------------------------------------- the esm tool: one-shot and batch

    /** The {@code ./esm} launcher next to the build (the benchmark runs from the repository or from esm-bench). */
    private static Optional<Path> launcher() {
        for (String dir : new String[] {".", ".."}) {
            Path p = Path.of(dir, "esm").toAbsolutePath().normalize();
            if (Files.isExecutable(p) && Files.isRegularFile(p.resolveSibling("esm-cli/target/esm.jar"))) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * The tool as a user's shell loop runs it: a process per command through {@code ./esm} (start-up included), next
     * to {@code virsh snapshot-list --tree} and ESM's tree read in this JVM; then
     * {@link #batchAgainstInProcess(String, int) one esm shell process against the API in this JVM} (the section
     * {@code cli-batch} runs only that half).
     */
    private void cli(int disks, boolean oneShot) throws Exception {
        Optional<Path> launcher = launcher();
        if (launcher.isEmpty()) {
            out.println("(no ./esm launcher with a built esm.jar here: the CLI rows are left out)");
            return;
        }
        String esm = launcher.get().toString();
        if (!oneShot) {
            batchAgainstInProcess(esm, disks);
            return;
        }
        try (SnapshotManager manager = SnapshotManager.connect(uri);
             ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-cli", disks, 64L << 20)) {
            String d = lab.name();
            exec(List.of(esm, "--uri=" + uri, "setup", d, lab.folder() + "/esm"));
            List<Double> create = new ArrayList<>();
            List<Double> revert = new ArrayList<>();
            List<Double> refresh = new ArrayList<>();
            List<Double> leaf = new ArrayList<>();
            List<Double> tree = new ArrayList<>();
            List<Double> virshTree = new ArrayList<>();
            List<Double> inProcessTree = new ArrayList<>();
            DomainSnapshots vm = manager.domain(d);
            for (int i = 0; i < runs; i++) {
                int n = i;
                create.add(time(() -> exec(List.of(esm, "--uri=" + uri, "create", d, "c" + n))));
                revert.add(time(() -> exec(List.of(esm, "--uri=" + uri, "revert", d, "c0"))));
                refresh.add(time(() -> exec(List.of(esm, "--uri=" + uri, "refresh", d))));
                tree.add(time(() -> exec(List.of(esm, "--uri=" + uri, "tree", d))));
                virshTree.add(time(() -> exec(List.of("virsh", "-c", uri, "snapshot-list", "--tree", d))));
                inProcessTree.add(time(() -> vm.chain().render()));
                exec(List.of(esm, "--uri=" + uri, "create", d, "leaf" + n));
                exec(List.of(esm, "--uri=" + uri, "revert", d, "c0"));
                leaf.add(time(() -> exec(List.of(esm, "--uri=" + uri, "delete", d, "leaf" + n))));
            }
            String note = "a process per command (./esm)";
            add("cli", "create", "esm-oneshot", disks, "offline", runs, create, note);
            add("cli", "revert", "esm-oneshot", disks, "offline", runs, revert, note);
            add("cli", "refresh", "esm-oneshot", disks, "offline", runs, refresh, note);
            add("cli", "delete-leaf", "esm-oneshot", disks, "offline", runs, leaf, note);
            add("cli", "tree", "esm-oneshot", disks, "offline", runs, tree, note);
            add("cli", "tree", "virsh", disks, "offline", runs, virshTree, "virsh snapshot-list --tree");
            add("cli", "tree", "esm", disks, "offline", runs, inProcessTree, "chain().render() in this JVM");
        }
        batchAgainstInProcess(esm, disks);
    }

    /**
     * Batch against in-process, side by side: one {@code esm shell} process fed a command a line (each command timed
     * from its line to the next prompt); the same command lines run by the tool's code in this JVM
     * ({@link EsmCli#lines}: picocli, the session, the output, without a second JVM); and the same operation through
     * the API in this JVM. Each side has its own domain of the same kind (same disks, same chain growth), and they
     * are interleaved command by command, the order rotating every round, so that load from elsewhere on the machine
     * hits all three alike. All sides get the same untimed warm-up rounds first (the shell's JVM starts cold; this one
     * ran {@link #warmUp()}), so the rows compare warm with warm. The notes give each side's ratio to the API: the
     * ratio of the medians and the median of the per-round ratios.
     */
    private void batchAgainstInProcess(String esm, int disks) throws Exception {
        java.io.PrintStream nowhere = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        try (SnapshotManager manager = SnapshotManager.connect(uri);
             EsmCli.Lines lines = EsmCli.lines(nowhere, nowhere);
             ThrowawayDomain batchLab = ThrowawayDomain.create(uri, "esm-cli", disks, 64L << 20);
             ThrowawayDomain cliLab = ThrowawayDomain.create(uri, "esm-cli-jvm", disks, 64L << 20);
             ThrowawayDomain apiLab = ThrowawayDomain.create(uri, "esm-cli-api", disks, 64L << 20)) {
            String d = batchLab.name();
            String c = cliLab.name();
            String u = "--uri=" + uri;
            exec(List.of(esm, u, "setup", d, batchLab.folder() + "/esm"));
            check(lines.run(u, "setup", c, cliLab.folder() + "/esm"));
            DomainSnapshots vm = manager.domain(apiLab.name());
            vm.setup(apiLab.folder() + "/esm").execute();
            String[] ops = {"create", "revert", "refresh", "tree", "delete-leaf"};
            String[] sides = {"esm-batch", "esm-cli-in-jvm", "esm-in-process"};
            Rounds ms = new Rounds();
            Process shell = new ProcessBuilder(esm, u, "shell").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (ShellSession sh = new ShellSession(shell)) {
                sh.run("tree " + d); // opens the connection: untimed
                int warm = smoke ? 1 : Math.max(3, runs / 2);
                // Each round: every operation in turn, each on all three sides, the sides' order rotating by round.
                ms.run(warm, runs, List.of(ops), false, (round, op) -> {
                    int i = round.number();
                    String n = round.timed() ? Integer.toString(i) : "w" + (-i);
                    String to = "b" + (round.timed() ? "0" : n);
                    Action[] sideActions = switch (op) {
                        case "create" -> new Action[] {() -> sh.run("create " + d + " b" + n),
                            () -> check(lines.run(u, "create", c, "b" + n)), () -> vm.snapshot("b" + n).create()};
                        case "revert" -> new Action[] {() -> sh.run("revert " + d + " " + to),
                            () -> check(lines.run(u, "revert", c, to)), () -> vm.revert(to).execute()};
                        case "refresh" -> new Action[] {() -> sh.run("refresh " + d),
                            () -> check(lines.run(u, "refresh", c)), () -> vm.refresh().execute()};
                        case "tree" -> new Action[] {() -> sh.run("tree " + d), () -> check(lines.run(u, "tree", c)),
                            () -> vm.chain().render()};
                        default -> {
                            // delete-leaf: each side makes the leaf to delete first, untimed
                            sh.run("create " + d + " bleaf" + n);
                            sh.run("revert " + d + " " + to);
                            check(lines.run(u, "create", c, "bleaf" + n));
                            check(lines.run(u, "revert", c, to));
                            vm.snapshot("bleaf" + n).create();
                            vm.revert(to).execute();
                            yield new Action[] {() -> sh.run("delete " + d + " bleaf" + n),
                                () -> check(lines.run(u, "delete", c, "bleaf" + n)),
                                () -> vm.delete("bleaf" + n).execute()};
                        }
                    };
                    for (int side : Rounds.turns(round, sides.length)) {
                        ms.record(round, sides[side] + " " + op, time(sideActions[side]));
                    }
                });
            }
            for (String op : ops) {
                add("cli", op, "esm-in-process", disks, "offline", runs, ms.get("esm-in-process " + op),
                        "the API in this JVM, interleaved with the two rows below");
            }
            for (String side : new String[] {"esm-cli-in-jvm", "esm-batch"}) {
                for (String op : ops) {
                    List<Double> b = ms.get(side + " " + op);
                    List<Double> a = ms.get("esm-in-process " + op);
                    List<Double> perRound = new ArrayList<>();
                    for (int i = 0; i < b.size(); i++) {
                        perRound.add(b.get(i) / a.get(i));
                    }
                    add("cli", op, side, disks, "offline", runs, b, String.format(java.util.Locale.ROOT,
                            "%s; %.2fx in-process (per-round median %.2fx)", side.equals("esm-batch")
                                    ? "one esm shell process" : "the tool's code in this JVM (EsmCli.lines)",
                            median(b) / median(a), median(perRound)));
                }
            }
        }
    }

    private static void check(int exitCode) {
        if (exitCode != 0) {
            throw new IllegalStateException("esm command failed with exit " + exitCode);
        }
    }

    /** Feeds an {@code esm shell} process a line and waits for the next prompt. */
    private static final class ShellSession implements AutoCloseable {
        private final Process p;
        private final java.io.InputStream in;
        private final java.io.OutputStream cmds;

        ShellSession(Process p) throws IOException {
            this.p = p;
            this.in = p.getInputStream();
            this.cmds = p.getOutputStream();
            untilPrompt();
        }

        void run(String line) throws IOException {
            cmds.write((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            cmds.flush();
            untilPrompt();
        }

        private void untilPrompt() throws IOException {
            byte[] prompt = "esm> ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            int matched = 0;
            for (int c; matched < prompt.length; ) {
                if ((c = in.read()) < 0) {
                    throw new IOException("esm shell ended (exit " + waitFor() + ")");
                }
                matched = c == prompt[matched] ? matched + 1 : (c == prompt[0] ? 1 : 0);
            }
        }

        private int waitFor() {
            try {
                return p.waitFor(10, TimeUnit.SECONDS) ? p.exitValue() : -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        @Override
        public void close() throws IOException {
            cmds.write("exit\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            cmds.close();
            if (waitFor() != 0) {
                p.destroy();
            }
        }
    }

    private void deletesAndCommit(DomainSnapshots vm, int disks, String mode) throws Exception {
        List<Double> leaf = new ArrayList<>();
        List<Double> middle = new ArrayList<>();
        List<Double> commit = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            int n = i;
            vm.snapshot("leaf" + n).create();
            vm.revert("c0").stopIfRunning().execute();
            restart(vm, mode);
            leaf.add(time(() -> vm.delete("leaf" + n).execute()));
            vm.snapshot("m1-" + n).create();
            vm.snapshot("m2-" + n).create();
            middle.add(time(() -> vm.delete("m1-" + n).execute()));
            vm.snapshot("x1-" + n).create();
            vm.snapshot("x2-" + n).create();
            vm.snapshot("x3-" + n).create();
            commit.add(time(() -> vm.commit("m2-" + n, "x3-" + n).execute()));
        }
        add("ops", "delete-leaf", "esm", disks, mode, runs, leaf, "");
        add("ops", "delete-middle", "esm", disks, mode, runs, middle, "merge of a small layer");
        add("ops", "commit-3", "esm", disks, mode, runs, commit, "three snapshots in one job per disk");
    }

    private void restart(DomainSnapshots vm, String mode) {
        if (mode.equals("live") && vm.state() == DomainState.SHUTOFF) {
            vm.refresh().start().execute();
        }
    }

    /** The same work done raw through libvirt-java in this JVM, and by the shell process chain. */
    private void floorAndShell(int disks) throws Exception {
        try (ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-floor", disks, 64L << 20)) {
            Connect conn = new Connect(uri, false);
            try {
                Domain d = conn.domainLookupByName(lab.name());
                List<Double> create = new ArrayList<>();
                List<Double> virshCreate = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    StringBuilder xml = new StringBuilder("<domainsnapshot><name>raw" + i + "</name><disks>");
                    StringBuilder spec = new StringBuilder();
                    for (int k = 0; k < disks; k++) {
                        String f = lab.folder() + "/raw" + i + "-" + k + ".qcow2";
                        xml.append("<disk name='vd").append((char) ('a' + k)).append("' snapshot='external'><source file='")
                                .append(f).append("'/></disk>");
                    }
                    xml.append("</disks></domainsnapshot>");
                    create.add(time(() -> d.snapshotCreateXML(xml.toString(), 16 | 128).free()));
                    List<String> cmd = new ArrayList<>(List.of("virsh", "-c", uri, "snapshot-create-as", lab.name(),
                            "sh" + i, "--disk-only", "--atomic"));
                    for (int k = 0; k < disks; k++) {
                        cmd.add("--diskspec");
                        cmd.add("vd" + (char) ('a' + k) + ",file=" + lab.folder() + "/sh" + i + "-" + k + ".qcow2");
                    }
                    virshCreate.add(time(() -> exec(cmd)));
                }
                add("ops", "create", "libvirt-raw", disks, "offline", runs, create, "snapshotCreateXML DISK_ONLY|ATOMIC");
                add("ops", "create", "virsh", disks, "offline", runs, virshCreate, "virsh snapshot-create-as");
                // Revert, raw: one overlay per disk (qemu-img create -u) and domainDefineXML; virsh: the same by processes.
                String base = d.getXMLDesc(2);
                List<Double> revert = new ArrayList<>();
                List<Double> virshRevert = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    int n = i;
                    revert.add(time(() -> {
                        String xml = base;
                        for (int k = 0; k < disks; k++) {
                            String frozen = lab.folder() + "/raw0-" + k + ".qcow2";
                            String fresh = lab.folder() + "/rv" + n + "-" + k + ".qcow2";
                            exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", frozen, "-u",
                                    fresh, Long.toString(64L << 20)));
                            xml = xml.replaceAll("<source file='[^']*/[^/']*" + k + "\\.qcow2'/>", "<source file='" + fresh + "'/>");
                        }
                        conn.domainDefineXML(xml).free();
                    }));
                    virshRevert.add(time(() -> {
                        String xml = execOut(List.of("virsh", "-c", uri, "dumpxml", "--inactive", lab.name()));
                        for (int k = 0; k < disks; k++) {
                            String frozen = lab.folder() + "/raw0-" + k + ".qcow2";
                            String fresh = lab.folder() + "/vr" + n + "-" + k + ".qcow2";
                            exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", frozen, "-u",
                                    fresh, Long.toString(64L << 20)));
                            xml = xml.replaceAll("<source file='[^']*/[^/']*" + k + "\\.qcow2'/>", "<source file='" + fresh + "'/>");
                        }
                        Path f = Path.of(lab.folder().toString(), "def.xml");
                        Files.writeString(f, xml);
                        exec(List.of("virsh", "-c", uri, "define", f.toString()));
                    }));
                }
                add("ops", "revert", "libvirt-raw", disks, "offline", runs, revert, "qemu-img create -u per disk + define");
                add("ops", "revert", "virsh", disks, "offline", runs, virshRevert, (disks + 2) + " processes");
                d.free();
            } finally {
                conn.close();
            }
        }
    }

    /** Internal snapshots of the same kind of domain: the alternative a user would pick. */
    private void internal(int disks, boolean live) throws Exception {
        try (ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-internal", disks, 64L << 20)) {
            if (live) {
                lab.start();
            }
            Connect conn = new Connect(uri, false);
            try {
                Domain d = conn.domainLookupByName(lab.name());
                List<Double> create = new ArrayList<>();
                List<Double> revert = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    String xml = "<domainsnapshot><name>in" + i + "</name></domainsnapshot>";
                    create.add(time(() -> d.snapshotCreateXML(xml, 0).free()));
                }
                if (!live) {
                    for (int i = 0; i < runs; i++) {
                        DomainSnapshot s = d.snapshotLookupByName("in0");
                        revert.add(time(() -> d.revertToSnapshot(s)));
                        s.free();
                    }
                }
                String mode = live ? "live" : "offline";
                add("ops", "create", "internal", disks, mode, runs, create, live ? "with memory state" : "");
                if (!live) {
                    add("ops", "revert", "internal", disks, mode, runs, revert, "");
                }
                d.free();
            } finally {
                conn.close();
            }
        }
    }

    // ---------------------------------------------------------------- live

    private void live(int disks) throws Exception {
        try (SnapshotManager esm = SnapshotManager.connect(uri);
             ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-bench-live", disks, 64L << 20)) {
            DomainSnapshots vm = esm.domain(lab.name());
            vm.setup(lab.folder() + "/esm").execute();
            vm.snapshot("c0").create();
            lab.start();
            List<Double> create = new ArrayList<>();
            for (int i = 1; i <= runs; i++) {
                int n = i;
                create.add(time(() -> vm.snapshot("c" + n).create()));
            }
            add("ops", "create", "esm", disks, "live", runs, create, "");
            List<Double> sandbox = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                sandbox.add(time(() -> vm.revert("c0").stopIfRunning().start().execute()));
            }
            add("ops", "revert+start", "esm", disks, "live", runs, sandbox, "power off, revert, start");
            deletesAndCommit(vm, disks, "live");
        }
        internal(disks, true);
    }

    // ---------------------------------------------------------------- memory snapshots

    /**
     * Memory snapshots of running domains whose guest fills its RAM ({@link RamFiller}), at each size of
     * {@code -Desm.bench.memorySizes} (MiB; 64,256,1024, or 64 for a smoke pass; the row's mode names it), 1 disk:
     * ESM's create and revert to running/paused, next to internal snapshots with memory, and the floor under a revert:
     * libvirt's destroy, a restore of a saved file of the same size alone ({@code virsh restore}, and the same call ESM
     * makes, {@code virDomainRestoreFlags}, from this JVM) and a cold start. Three domains of the size run side by side
     * and every round measures each kind once, so that the comparisons see the same load.
     */
    private void memory() throws Exception {
        String sizes = System.getProperty("esm.bench.memorySizes", smoke ? "64" : "64,256,1024");
        for (String size : sizes.split(",")) {
            memory(Integer.parseInt(size.trim()));
        }
    }

    private void memory(int mib) throws Exception {
        // ESM's steps of each revert, for the rows that split a revert to running into libvirt's part and ESM's.
        java.util.Map<dev.esm.api.StepKind, Double> steps = new java.util.concurrent.ConcurrentHashMap<>();
        dev.esm.api.OperationListener timer = new dev.esm.api.OperationListener() {
            @Override
            public void stepFinished(dev.esm.api.StepEvent e) {
                steps.merge(e.step().kind(), e.duration().toNanos() / 1e6, Double::sum);
            }
        };
        try (SnapshotManager esm = SnapshotManager.builder(uri).listener(timer).connect();
             ThrowawayDomain lab = ThrowawayDomain.withRamFiller(uri, "esm-bench-mem", mib);
             ThrowawayDomain floor = ThrowawayDomain.withRamFiller(uri, "esm-floor-mem", mib);
             ThrowawayDomain inner = ThrowawayDomain.withRamFiller(uri, "esm-internal-mem", mib)) {
            RawConnect conn = new RawConnect(uri);
            try {
                memory(mib, esm, steps, lab, floor, inner, conn);
            } finally {
                conn.close();
            }
        }
    }

    private void memory(int mib, SnapshotManager esm, java.util.Map<dev.esm.api.StepKind, Double> steps,
                        ThrowawayDomain lab, ThrowawayDomain floor, ThrowawayDomain inner, RawConnect conn)
            throws Exception {
        String mode = mib + "MiB";
        DomainSnapshots vm = esm.domain(lab.name());
        vm.setup(lab.folder() + "/esm").execute();
        List<Double> cold = new ArrayList<>();
        for (ThrowawayDomain l : List.of(lab, floor, inner)) {
            cold.add(time(l::start));
            l.fillRam(0x41);
        }
        Domain fd = conn.domainLookupByName(floor.name());
        Domain id = conn.domainLookupByName(inner.name());
        String saved = floor.folder() + "/floor.save";
        exec(List.of("virsh", "-c", uri, "save", floor.name(), saved));
        List<Double> create = new ArrayList<>();
        List<Double> internalCreate = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            int n = i;
            create.add(time(() -> vm.snapshot("m" + n).memory().create()));
            String xml = "<domainsnapshot><name>in" + i + "</name></domainsnapshot>";
            internalCreate.add(time(() -> id.snapshotCreateXML(xml, 0).free()));
        }
        long file = vm.info("m0").memorySize().orElseThrow();
        long floorFile = Files.size(Path.of(saved));
        List<Double> running = new ArrayList<>();
        List<Double> paused = new ArrayList<>();
        List<Double> internal = new ArrayList<>();
        List<Double> restore = new ArrayList<>();
        List<Double> rawRestore = new ArrayList<>();
        List<Double> destroy = new ArrayList<>();
        List<Double> stopStep = new ArrayList<>();
        List<Double> restoreStep = new ArrayList<>();
        List<Double> own = new ArrayList<>();
        DomainSnapshot in0 = id.snapshotLookupByName("in0");
        // Each round runs every kind once, in an order turned by one each round, so that none always follows the
        // same one (a restore after an internal revert's reads, say). Every block leaves the floor domain shut off.
        List<Action> blocks = List.of(
            () -> {
                steps.clear();
                double ms = time(() -> vm.revert("m0").running().execute());
                running.add(ms);
                double stop = steps.getOrDefault(dev.esm.api.StepKind.STOP_DOMAIN, 0.0);
                double restoring = steps.getOrDefault(dev.esm.api.StepKind.RESTORE_MEMORY, 0.0);
                stopStep.add(stop);
                restoreStep.add(restoring);
                own.add(ms - stop - restoring);
            },
            () -> internal.add(time(() -> id.revertToSnapshot(in0))),
            () -> {
                restore.add(time(() -> exec(List.of("virsh", "-c", uri, "restore", saved, "--running"))));
                destroy.add(time(fd::destroy));
            },
            () -> paused.add(time(() -> vm.revert("m0").paused().execute())),
            () -> {
                rawRestore.add(time(() -> conn.restore(saved, 0)));
                destroy.add(time(fd::destroy));
            },
            () -> {
                fd.create();
                floor.fillRam(0x41);
                destroy.add(time(fd::destroy)); // a cold-started domain, as well as restored ones
                cold.add(time(fd::create));
                exec(List.of("virsh", "-c", uri, "destroy", floor.name()));
            });
        for (int i = 0; i < runs; i++) {
            for (int k = 0; k < blocks.size(); k++) {
                blocks.get((k + i) % blocks.size()).run();
            }
        }
        in0.free();
        String ram = mib + " MiB guest, RAM filled; ";
        add("memory", "create", "esm", 1, mode, runs, create, ram + String.format(java.util.Locale.ROOT,
                "memory file %.1f MiB", file / 1048576.0));
        add("memory", "revert-running", "esm", 1, mode, runs, running, "destroy, overlays, restore");
        add("memory", "stop-step", "esm", 1, mode, runs, stopStep, "of revert-running: virDomainDestroy");
        add("memory", "restore-step", "esm", 1, mode, runs, restoreStep,
                "of revert-running: virDomainRestoreFlags of the snapshot's memory file");
        add("memory", "esm-own", "esm", 1, mode, runs, own,
                "of revert-running: the rest (planning, journal, overlay, definition)");
        add("memory", "revert-paused", "esm", 1, mode, runs, paused, "");
        add("memory", "create", "internal", 1, mode, runs, internalCreate, "with memory state");
        add("memory", "revert-running", "internal", 1, mode, runs, internal,
                "snapshot-revert of a running snapshot");
        add("memory", "restore", "virsh", 1, mode, runs, restore, String.format(java.util.Locale.ROOT,
                "virsh restore of a saved file alone (%.1f MiB)", floorFile / 1048576.0));
        add("memory", "restore", "libvirt-raw", 1, mode, runs, rawRestore,
                "virDomainRestoreFlags of that file from this JVM (the call ESM makes)");
        add("memory", "destroy", "libvirt-raw", 1, mode, destroy.size(), destroy,
                "virDomainDestroy of a running domain");
        add("memory", "start", "libvirt-raw", 1, mode, cold.size(), cold, "cold start of the shut-off domain");
        fd.free();
        id.free();
    }

    /** A libvirt-java connection whose pointer the benchmark's own binding of {@code virDomainRestoreFlags} uses. */
    private static final class RawConnect extends Connect {
        /** {@code virDomainRestoreFlags}, which libvirt-java lacks. */
        interface Virt extends com.sun.jna.Library {
            Virt INSTANCE = com.sun.jna.Native.load("virt", Virt.class);

            int virDomainRestoreFlags(org.libvirt.jna.ConnectionPointer conn, String from, String dxml, int flags);
        }

        RawConnect(String uri) throws org.libvirt.LibvirtException {
            super(uri, false);
        }

        void restore(String file, int flags) {
            if (Virt.INSTANCE.virDomainRestoreFlags(vcp, file, null, flags) != 0) {
                throw new IllegalStateException("virDomainRestoreFlags " + file + " failed");
            }
        }
    }

    // ---------------------------------------------------------------- merge throughput

    private void merges() throws Exception {
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

    // ---------------------------------------------------------------- chain length

    /** Snapshots beyond this many are metadata-only redefinitions (real ones take a minute per thousand or more). */
    private static final int REAL_SNAPSHOTS = Integer.getInteger("esm.bench.realSnapshots", 1000);

    /**
     * Cost against the tree's size: real snapshots taken by ESM up to {@link #REAL_SNAPSHOTS}, then metadata-only
     * redefinitions of the last one's XML (under new names, each the child of the one before) up to the largest size.
     * At each size: a create (real sizes only), a revert, the whole tree read once settled (from the cache), the
     * whole tree read right after a redefinition made behind ESM's back (raw libvirt call), the tree read by a new
     * manager (nothing cached: one lookup and one XML per snapshot), and one snapshot's find, exists and info.
     */
    private void chainLength() throws Exception {
        try (SnapshotManager esm = SnapshotManager.connect(uri);
             ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-chain", 1, 64L << 20)) {
            Connect raw = new Connect(uri);
            try {
                chainLength(esm, lab, raw);
            } finally {
                raw.close();
            }
        }
    }

    private void chainLength(SnapshotManager esm, ThrowawayDomain lab, Connect raw) throws Exception {
        int[] lengths = chains;
        {
            DomainSnapshots vm = esm.domain(lab.name());
            vm.setup(lab.folder() + "/esm").execute();
            int have = 0;
            String lastReal = null;
            String template = null;
            for (int n : lengths) {
                List<Double> create = new ArrayList<>();
                String probe;
                if (n <= REAL_SNAPSHOTS) {
                    while (have < n - 1) {
                        vm.snapshot("n" + (have++)).create();
                    }
                    probe = "probe" + n;
                    create.add(time(() -> vm.snapshot(probe).create()));
                    have++;
                    lastReal = probe;
                } else {
                    Domain d = raw.domainLookupByName(lab.name());
                    try {
                        if (template == null) {
                            DomainSnapshot s = d.snapshotLookupByName(lastReal);
                            template = s.getXMLDesc(1);
                            s.free();
                        }
                        String parent = lastReal;
                        while (have < n) {
                            String name = "m" + (have++);
                            d.snapshotCreateXML(template.replace("<name>" + lastReal + "</name>", "<name>" + name
                                    + "</name>").replaceFirst("(?s)<parent>\\s*<name>[^<]*</name>",
                                    "<parent><name>" + parent + "</name>"), 1 /* REDEFINE */).free();
                            parent = name;
                        }
                    } finally {
                        d.free();
                    }
                    probe = lastReal;
                }
                List<Double> revert = new ArrayList<>();
                for (int i = 0; i < Math.min(runs, 5); i++) {
                    revert.add(time(() -> vm.revert(probe).execute()));
                }
                Thread.sleep(1200); // past the cache's racy window: the reads below see a settled tree
                vm.chain();
                List<Double> read = new ArrayList<>();
                List<Double> find = new ArrayList<>();
                List<Double> exists = new ArrayList<>();
                List<Double> info = new ArrayList<>();
                for (int i = 0; i < Math.max(runs, 7); i++) {
                    read.add(time(vm::chain));
                    find.add(time(() -> vm.find(probe).orElseThrow()));
                    exists.add(time(() -> vm.exists(probe)));
                    info.add(time(() -> vm.info(probe)));
                }
                int size = vm.chain().snapshots().size();
                List<Double> changed = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    int round = i;
                    Domain d = raw.domainLookupByName(lab.name());
                    try {
                        DomainSnapshot s = d.snapshotLookupByName(probe);
                        String xml = s.getXMLDesc(1).replaceAll("(?s)<description>.*?</description>", "")
                                .replaceFirst("<domainsnapshot>", "<domainsnapshot><description>round " + round
                                        + "</description>");
                        s.free();
                        d.snapshotCreateXML(xml, 1).free();
                    } finally {
                        d.free();
                    }
                    Thread.sleep(1200);
                    changed.add(time(() -> {
                        if (!vm.chain().get(probe).description().equals("round " + round)) {
                            throw new IllegalStateException("the change made behind ESM's back was not seen");
                        }
                    }));
                }
                List<Double> cold = new ArrayList<>();
                try (SnapshotManager fresh = SnapshotManager.connect(uri)) {
                    DomainSnapshots again = fresh.domain(lab.name());
                    cold.add(time(again::chain));
                }
                if (!create.isEmpty()) {
                    add("chain", "create", "esm", 1, "offline", size, create, "");
                }
                add("chain", "revert", "esm", 1, "offline", size, revert, "");
                add("chain", "read-tree", "esm", 1, "offline", size, read, "settled: from the cache"
                        + (n > REAL_SNAPSHOTS ? "; " + (n - REAL_SNAPSHOTS) + " metadata-only" : ""));
                add("chain", "read-tree", "changed", 1, "offline", size, changed,
                        "after one snapshot redefined behind ESM's back (raw libvirt)");
                add("chain", "read-tree", "cold", 1, "offline", size, cold, "new manager: one XML per snapshot");
                add("chain", "find-one", "esm", 1, "offline", size, find, "find(name)");
                add("chain", "exists", "esm", 1, "offline", size, exists, "exists(name)");
                add("chain", "info", "esm", 1, "offline", size, info, "info(name): image headers read in process");
                if (n > 200 && n <= REAL_SNAPSHOTS) {
                    out.println("   note: libvirt refuses to start a domain whose chain holds more than 200 images");
                }
            }
        }
    }

    // ---------------------------------------------------------------- pure model

    private void pureModel() throws Exception {
        int[] sizes = smoke ? new int[] {10, 100, 1000} : new int[] {10, 100, 1000, 10_000};
        String xml = "<domain type='qemu'><name>m</name><uuid>u</uuid><devices><disk type='file' device='disk'>"
                + "<driver name='qemu' type='qcow2'/><source file='/d/active.qcow2'/><target dev='vda'/></disk>"
                + "</devices></domain>";
        DomainDefinition def = DomainXml.parse(xml);
        for (int n : sizes) {
            List<SnapshotDefinition> snaps = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                snaps.add(new SnapshotDefinition("s" + i, i == 0 ? Optional.empty() : Optional.of("s" + (i - 1)),
                        Instant.ofEpochSecond(i), "", SnapshotState.SHUTOFF,
                        List.of(new DiskImage("vda", "/d/s" + i + ".qcow2", ImageFormat.QCOW2)), ""));
            }
            DomainView view = new DomainView(DomainState.SHUTOFF, def, Optional.empty(), snaps,
                    Optional.of("s" + (n - 1)));
            List<Double> tree = new ArrayList<>();
            List<Double> plan = new ArrayList<>();
            for (int i = 0; i < Math.max(runs, 5); i++) {
                tree.add(time(() -> SnapshotTree.build(def, snaps, Optional.of("s" + (n - 1))).render()));
                plan.add(time(() -> {
                    Planner.create(view, "new", "", false, p -> false, Instant.EPOCH);
                    RevertPlanner.revert(view, "s0", false, new RevertPlanner.RevertOptions(false, false), p -> false, Instant.EPOCH);
                }));
            }
            add("model", "tree+render", "pure", 1, "-", n, tree, "");
            add("model", "plan", "pure", 1, "-", n, plan, "create + revert plans");
        }
    }

    // ---------------------------------------------------------------- processes

    static void exec(List<String> cmd) throws IOException, InterruptedException {
        execOut(cmd);
    }

    private static String execOut(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(cmd + " failed: " + out);
        }
        return out;
    }
}
