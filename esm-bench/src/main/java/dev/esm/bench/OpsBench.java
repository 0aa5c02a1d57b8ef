package dev.esm.bench;

import static dev.esm.bench.harness.Processes.exec;
import static dev.esm.bench.harness.Processes.execOut;
import static dev.esm.bench.harness.Timing.time;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.SnapshotManager;
import dev.esm.bench.harness.Report;
import dev.esm.junit5.ThrowawayDomain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;

/**
 * The {@code ops} section: ESM's operations in this JVM (create, revert, refresh, deletes and a commit of three, 1 or
 * 4 disks, offline and live) next to the floor under them (the same libvirt calls made raw through libvirt-java in
 * this JVM), the shell process chain ({@code virsh} and {@code qemu-img} processes) and internal snapshots. Not
 * thread-safe; one instance per run.
 */
final class OpsBench {
    private final String uri;
    private final int runs;
    private final Report report;

    OpsBench(String uri, int runs, Report report) {
        this.uri = uri;
        this.runs = runs;
        this.report = report;
    }

    /**
     * The section for one disk count: offline (ESM, then libvirt's floor and virsh, then internal), then live; only
     * the modes {@code -Desm.bench.opsModes} names (default {@code offline,live}).
     */
    void run(int disks) throws Exception {
        List<String> modes = List.of(System.getProperty("esm.bench.opsModes", "offline,live").split(","));
        if (modes.contains("offline")) {
            offline(disks);
        }
        if (modes.contains("live")) {
            live(disks);
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
            deletesAndCommit(vm, disks, "offline", null);
        }
        floorAndShell(disks);
        internal(disks, false);
    }

    /**
     * @param natively a running domain of the same kind whose middle snapshot libvirt deletes itself in each round,
     *                 right after ESM's (live only), or null
     */
    private void deletesAndCommit(DomainSnapshots vm, int disks, String mode, NativeDeletes natively)
            throws Exception {
        List<Double> leaf = new ArrayList<>();
        List<Double> middle = new ArrayList<>();
        List<Double> nativeMiddle = new ArrayList<>();
        List<Double> virshMiddle = new ArrayList<>();
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
            if (natively != null) {
                nativeMiddle.add(natively.deleteMiddle("n", n, false));
                virshMiddle.add(natively.deleteMiddle("v", n, true));
            }
            vm.snapshot("x1-" + n).create();
            vm.snapshot("x2-" + n).create();
            vm.snapshot("x3-" + n).create();
            commit.add(time(() -> vm.commit("m2-" + n, "x3-" + n).execute()));
        }
        add("ops", "delete-leaf", "esm", disks, mode, runs, leaf, "");
        add("ops", "delete-middle", "esm", disks, mode, runs, middle, "merge of a small layer");
        if (natively != null) {
            add("ops", "delete-middle", "native", disks, mode, runs, nativeMiddle,
                    "libvirt's own external snapshot delete (block commit)");
            add("ops", "delete-middle", "virsh", disks, mode, runs, virshMiddle, "virsh snapshot-delete, the same");
        }
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
             ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-bench-live", disks, 64L << 20);
             ThrowawayDomain other = ThrowawayDomain.create(uri, "esm-bench-native", disks, 64L << 20);
             NativeDeletes natively = new NativeDeletes(uri, other, disks)) {
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
            other.start();
            deletesAndCommit(vm, disks, "live", natively);
        }
        internal(disks, true);
    }

    /**
     * libvirt's own delete of a middle external snapshot (since libvirt 9.0: a block commit of the snapshot's
     * overlay, then its metadata), on a running domain of its own with snapshots made raw: two disk-only external
     * snapshots, then the first deleted. Not thread-safe.
     */
    private static final class NativeDeletes implements AutoCloseable {
        private final Connect conn;
        private final Domain d;
        private final ThrowawayDomain lab;
        private final int disks;
        private final String uri;

        NativeDeletes(String uri, ThrowawayDomain lab, int disks) throws Exception {
            this.uri = uri;
            this.conn = new Connect(uri, false);
            this.d = conn.domainLookupByName(lab.name());
            this.lab = lab;
            this.disks = disks;
        }

        /**
         * @param prefix the snapshots' names' start
         * @param virsh whether {@code virsh snapshot-delete} deletes it (a process) instead of this JVM's call
         * @return the milliseconds libvirt took to delete the middle one of two new snapshots
         */
        double deleteMiddle(String prefix, int n, boolean virsh) throws Exception {
            for (String name : List.of(prefix + "1-" + n, prefix + "2-" + n)) {
                StringBuilder xml = new StringBuilder("<domainsnapshot><name>" + name + "</name><disks>");
                for (int k = 0; k < disks; k++) {
                    xml.append("<disk name='vd").append((char) ('a' + k)).append("' snapshot='external'><source file='")
                            .append(lab.folder()).append('/').append(name).append('-').append(k)
                            .append(".qcow2'/></disk>");
                }
                xml.append("</disks></domainsnapshot>");
                d.snapshotCreateXML(xml.toString(), 16 | 128).free(); // DISK_ONLY | ATOMIC
            }
            if (virsh) {
                return time(() -> exec(List.of("virsh", "-q", "-c", uri, "snapshot-delete", lab.name(),
                        prefix + "1-" + n)));
            }
            DomainSnapshot middle = d.snapshotLookupByName(prefix + "1-" + n);
            try {
                return time(() -> middle.delete(0));
            } finally {
                middle.free();
            }
        }

        @Override
        public void close() throws Exception {
            try {
                d.free();
            } finally {
                conn.close();
            }
        }
    }

    private void add(String section, String op, String variant, int disks, String mode, int chain, List<Double> ms,
                     String note) {
        report.add(section, op, variant, disks, mode, chain, ms, note);
    }
}
