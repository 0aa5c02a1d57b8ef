package dev.esm.bench;

import static dev.esm.bench.harness.Processes.exec;
import static dev.esm.bench.harness.Timing.time;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import dev.esm.bench.harness.Report;
import dev.esm.bench.harness.Rounds;
import dev.esm.junit5.ThrowawayDomain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;

/**
 * The {@code tree} section: reading a large snapshot tree in a new process, where nothing is cached in memory and the
 * tree comes from ESM's index (issue 23, item 4). At each size ({@code -Desm.bench.treeSizes}, default 1,000 and
 * 10,000): {@code esm tree} as a process per command ({@code ./esm}) against {@code virsh snapshot-list --tree},
 * interleaved round by round (order rotating); one {@code esm tree} with its index removed first (a full read, as every
 * new process read before the index); the API's {@code chain()} by a new manager in this JVM (connection not timed),
 * locally and, with {@code -Desm.bench.remoteUri}, over that URI (the same daemon through {@code qemu+ssh}), where
 * {@code esm tree} and {@code virsh} run over it too; and a create and a leaf delete at that size (the index is
 * removed by every operation: their cost stays flat). The tree is one real snapshot and metadata-only redefinitions of
 * it, in chains of 50 hanging off it (a tree a thousand levels deep would make both tools print megabytes of
 * indentation). Not thread-safe; one instance per run.
 */
final class TreeBench {
    private final String uri;
    private final boolean smoke;
    private final int runs;
    private final Report report;

    TreeBench(String uri, boolean smoke, int runs, Report report) {
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

    void run() throws Exception {
        Optional<Path> launcher = launcher();
        if (launcher.isEmpty()) {
            report.print("(no ./esm launcher with a built esm.jar here: the tree section is left out)");
            return;
        }
        String esm = launcher.get().toString();
        int[] sizes = java.util.Arrays.stream(System.getProperty("esm.bench.treeSizes", smoke ? "100" : "1000,10000")
                .split(",")).mapToInt(Integer::parseInt).toArray();
        String remote = System.getProperty("esm.bench.remoteUri");
        try (SnapshotManager manager = SnapshotManager.connect(uri);
             ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-tree", 1, 64L << 20)) {
            String d = lab.name();
            DomainSnapshots vm = manager.domain(d);
            vm.setup(lab.folder() + "/esm").execute();
            vm.snapshot("r0").create();
            Connect raw = new Connect(uri);
            try {
                int have = 1;
                for (int n : sizes) {
                    have = grow(raw, d, have, n);
                    measure(esm, d, vm, n, uri, "local");
                    if (remote != null) {
                        measure(esm, d, null, n, remote, "qemu+ssh");
                    }
                }
            } finally {
                dropIndex(raw, d, uri);
                if (remote != null) {
                    dropIndex(raw, d, remote);
                }
                raw.close();
            }
        }
    }

    /** Removes the domain's tree index from the state store {@code on} uses (the throwaway domain does not). */
    private static void dropIndex(Connect raw, String d, String on) {
        try {
            Domain dom = raw.domainLookupByName(d);
            String uuid = dom.getUUIDString();
            dom.free();
            dev.esm.libvirt.LibvirtHost host = new dev.esm.libvirt.LibvirtHost(on,
                    SnapshotManager.builder(on).systemProperties().settings());
            try {
                host.stateStore().removeTreeIndex(uuid);
            } finally {
                host.close();
            }
        } catch (Exception e) {
            System.err.println("tree bench: the tree index of " + d + " was left: " + e);
        }
    }

    /** Adds metadata-only snapshots up to {@code n}: redefinitions of r0, in chains of 50 off r0. */
    private static int grow(Connect raw, String d, int have, int n) throws Exception {
        Domain dom = raw.domainLookupByName(d);
        try {
            DomainSnapshot r0 = dom.snapshotLookupByName("r0");
            String template = r0.getXMLDesc(1);
            r0.free();
            for (int i = have; i < n; i++) {
                String parent = i % 50 == 1 ? "r0" : "m" + (i - 1);
                dom.snapshotCreateXML(template.replace("<name>r0</name>", "<name>m" + i + "</name>")
                        .replaceFirst("<creationTime>\\d+</creationTime>", "<creationTime>" + (1_700_000_000L + i)
                                + "</creationTime>")
                        .replaceFirst("(?s)<parent>\\s*<name>[^<]*</name>\\s*</parent>", "")
                        .replaceFirst("<domainsnapshot>", "<domainsnapshot><parent><name>" + parent
                                + "</name></parent>"), 1 /* REDEFINE */).free();
            }
        } finally {
            dom.free();
        }
        return Math.max(have, n);
    }

    private void measure(String esm, String d, DomainSnapshots vm, int n, String on, String where) throws Exception {
        String u = "--uri=" + on;
        Thread.sleep(1200); // past the racy window of the metadata directory's stamp: the index can be trusted
        exec(List.of(esm, u, "tree", d)); // writes the index if the operations removed it
        Rounds ms = new Rounds();
        int timed = smoke ? 2 : Math.max(5, runs / 2);
        ms.run(1, timed, List.of("esm", "virsh"), true, (round, side) -> ms.record(round, side, time(() -> {
            if (side.equals("esm")) {
                exec(List.of(esm, u, "tree", d));
            } else {
                exec(List.of("virsh", "-c", on, "snapshot-list", "--tree", d));
            }
        })));
        String size = n + " snapshots, " + where;
        add("tree", "esm-oneshot", where, n, ms.get("esm"), "./esm tree, a process per read (index)");
        add("tree", "virsh", where, n, ms.get("virsh"), "virsh snapshot-list --tree, interleaved with esm");
        List<Double> api = new ArrayList<>();
        for (int i = 0; i < timed; i++) {
            try (SnapshotManager fresh = SnapshotManager.connect(on)) {
                DomainSnapshots again = fresh.domain(d);
                api.add(time(again::chain));
            }
        }
        add("tree", "api-new-manager", where, n, api, "chain() by a new manager (connection not timed)");
        if (vm != null) {
            List<Double> create = new ArrayList<>();
            List<Double> delete = new ArrayList<>();
            for (int i = 0; i < Math.min(timed, 5); i++) {
                String leaf = "leaf" + n + "-" + i;
                create.add(time(() -> vm.snapshot(leaf).create()));
                vm.revert("r0").execute();
                delete.add(time(() -> vm.delete(leaf).execute()));
            }
            add("tree", "create", where, n, create, "API create at this size (removes the index)");
            add("tree", "delete-leaf", where, n, delete, "API delete of a leaf at this size");
            Thread.sleep(1200);
            List<Double> full = List.of(time(() -> exec(List.of(esm, u, "tree", d))));
            add("tree", "esm-oneshot-no-index", where, n, full,
                    "./esm tree after an operation removed the index: one XML per snapshot, then the index written");
        }
        report.print("   " + size + ": esm/virsh medians " + ratio(ms.get("esm"), ms.get("virsh")));
    }

    private static String ratio(List<Double> a, List<Double> b) {
        return String.format("%.2fx", dev.esm.bench.harness.Timing.median(a) / dev.esm.bench.harness.Timing.median(b));
    }

    private void add(String section, String op, String where, int n, List<Double> ms, String note) {
        report.add(section, op, where, 1, "offline", n, ms, note);
    }
}
