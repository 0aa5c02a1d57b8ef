package dev.esm.bench;

import static dev.esm.bench.harness.Processes.exec;
import static dev.esm.bench.harness.Timing.median;
import static dev.esm.bench.harness.Timing.time;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import dev.esm.bench.harness.Report;
import dev.esm.bench.harness.Rounds;
import dev.esm.bench.harness.Timing.Action;
import dev.esm.cli.EsmCli;
import dev.esm.junit5.ThrowawayDomain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The {@code cli} section: the {@code esm} tool as a process per command ({@code ./esm}) next to {@code virsh} and
 * the API in this JVM, then one {@code esm shell} process against the tool's code and the API in this JVM
 * ({@code cli-batch}, that half alone). Not thread-safe; one instance per run.
 */
final class CliBench {
    private final String uri;
    private final boolean smoke;
    private final int runs;
    private final Report report;

    CliBench(String uri, boolean smoke, int runs, Report report) {
        this.uri = uri;
        this.smoke = smoke;
        this.runs = runs;
        this.report = report;
    }

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
    void run(int disks, boolean oneShot) throws Exception {
        Optional<Path> launcher = launcher();
        if (launcher.isEmpty()) {
            report.print("(no ./esm launcher with a built esm.jar here: the CLI rows are left out)");
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
     * ran the benchmark's warm-up), so the rows compare warm with warm. The notes give each side's ratio to the API: the
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

    private void add(String section, String op, String variant, int disks, String mode, int chain, List<Double> ms,
                     String note) {
        report.add(section, op, variant, disks, mode, chain, ms, note);
    }
}
