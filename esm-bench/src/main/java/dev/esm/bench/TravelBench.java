package dev.esm.bench;

import static dev.esm.bench.harness.Processes.exec;
import static dev.esm.bench.harness.Processes.execOut;
import static dev.esm.bench.harness.Timing.time;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageAccess;
import dev.esm.api.Replication;
import dev.esm.api.SnapshotManager;
import dev.esm.bench.harness.Report;
import dev.esm.bench.harness.Rounds;
import dev.esm.bench.harness.Timing;
import dev.esm.junit5.ThrowawayDomain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;

/**
 * The {@code travel} section: moving and replicating domains between two libvirt daemons that share no storage, the
 * host's ({@code uri}) and a second one ({@code -Desm.bench.otherUri}, else the libvirt 11.3 root that
 * {@code scripts/libvirt11-up.sh} starts and names), reached through its storage API. The source domain's ESM folder
 * is one the target does not see ({@code /var/lib/esm-bench-here/NAME} on the host), the target folder one only it
 * sees ({@code /var/lib/esm-moved/NAME} in its root).
 *
 * <p>Replication: a domain whose disk is full of data (1 GiB; 128 MiB in a smoke pass), set up with one snapshot,
 * replicated (a full copy), then 16 MiB written into its active layer offline with {@code qemu-io} and a second
 * snapshot taken, replicated again (only the new snapshot's image should travel): the bytes and time of both.
 *
 * <p>Live move: a running lab domain with 2 snapshots moved live by ESM, against libvirt's own live migration of the
 * same kind of domain without snapshots ({@code virsh migrate --live --copy-storage-inc} of its active layer onto a
 * chain made beforehand at the same paths on the target); the downtime is what the target's libvirt reports
 * ({@code domjobinfo --completed}, "Total downtime"). The two run in each round in turn, the order turned each round.
 * Every domain and file is removed from both hosts after each round. Not thread-safe; one instance per run.
 */
final class TravelBench {
    private static final Pattern DOWNTIME = Pattern.compile("Total downtime:\\s+(\\d+)\\s*ms");
    private static final Pattern ELAPSED = Pattern.compile("Time elapsed:\\s+(\\d+)\\s*ms");
    private static final String HERE = "/var/lib/esm-bench-here";
    private static final String MOVED = "/var/lib/esm-moved";
    private static final long MIB = 1L << 20;
    private static final int UNDEFINE_ALL = 2 | 4 | 16; // snapshot and checkpoint metadata, NVRAM

    private final String uri;
    private final boolean smoke;
    private final int runs;
    private final Report report;

    TravelBench(String uri, boolean smoke, int runs, Report report) {
        this.uri = uri;
        this.smoke = smoke;
        this.runs = runs;
        this.report = report;
    }

    void run() throws Exception {
        String other = otherUri();
        Files.createDirectories(Path.of(HERE));
        exec(List.of("chmod", "755", HERE));
        try (SnapshotManager here = SnapshotManager.connect(uri);
             SnapshotManager there = SnapshotManager.connect(other, ImageAccess.LIBVIRT_STORAGE)) {
            report.print("travel: " + uri + " -> " + other);
            replication(here, there, other);
            live(here, there, other);
        }
    }

    /** @return the other host: {@code -Desm.bench.otherUri}, else what {@code scripts/libvirt11-up.sh} prints */
    private static String otherUri() throws Exception {
        String given = System.getProperty("esm.bench.otherUri");
        if (given != null && !given.isBlank()) {
            return given;
        }
        // from the project's root (scripts/bench.sh) or a module's folder (the smoke IT)
        Path script = Files.exists(Path.of("scripts/libvirt11-up.sh")) ? Path.of("scripts/libvirt11-up.sh")
                : Path.of("../scripts/libvirt11-up.sh");
        String out = execOut(List.of("bash", script.toString()));
        return out.lines().filter(l -> l.startsWith("qemu")).reduce((a, b) -> b)
                .orElseThrow(() -> new IllegalStateException("scripts/libvirt11-up.sh printed no URI: " + out));
    }

    private void replication(SnapshotManager here, SnapshotManager there, String other) throws Exception {
        long size = smoke ? 128 * MIB : 1024 * MIB;
        long fresh = 16 * MIB;
        List<Double> first = new ArrayList<>();
        List<Double> second = new ArrayList<>();
        List<Double> firstBytes = new ArrayList<>();
        List<Double> secondBytes = new ArrayList<>();
        List<Integer> secondFiles = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            try (ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-bench-rep", 1, size)) {
                String name = lab.name();
                try {
                    fill(lab.folder().resolve("disk0.qcow2").toString(), 0, size, 0x5a);
                    DomainSnapshots vm = here.domain(name);
                    vm.setup(HERE + "/" + name + "/esm").execute();
                    vm.snapshot("s1").create();
                    String folder = MOVED + "/" + name;
                    Replication[] r = new Replication[2];
                    first.add(time(() -> r[0] = vm.replicateTo(there).path(folder).execute()));
                    fill(activeLayer(name), size / 2, fresh, 0x6b);
                    vm.snapshot("s2").create();
                    second.add(time(() -> r[1] = vm.replicateTo(there).path(folder).execute()));
                    firstBytes.add((double) r[0].bytes());
                    secondBytes.add((double) r[1].bytes());
                    secondFiles.add(r[1].copied().size());
                } finally {
                    cleanUp(other, name);
                }
            }
        }
        double b1 = Timing.median(firstBytes);
        double b2 = Timing.median(secondBytes);
        double t1 = Timing.median(first);
        double t2 = Timing.median(second);
        report.add("travel", "replicate-first", "esm", 1, "offline", 1, first, String.format(Locale.ROOT,
                "full copy of a %d MiB disk full of data and s1: %.1f MiB sent (median), %.1f MiB/s", size / MIB,
                b1 / MIB, b1 / MIB / (t1 / 1000)));
        report.add("travel", "replicate-again", "esm", 1, "offline", 2, second, String.format(Locale.ROOT,
                "after s2 over %d MiB written: %.1f MiB sent (median), files copied %s; %.4f of the first's bytes,"
                        + " %.3f of its time", fresh / MIB, b2 / MIB, secondFiles, b2 / b1, t2 / t1));
    }

    /** Writes {@code length} bytes of {@code pattern} at {@code from} into a qcow2 image, in 64 MiB requests. */
    private static void fill(String image, long from, long length, int pattern) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
        for (long at = from; at < from + length; at += 64 * MIB) {
            cmd.add("-c");
            cmd.add("write -P " + pattern + " " + at + " " + Math.min(64 * MIB, from + length - at));
        }
        cmd.add(image);
        exec(cmd);
    }

    /** @return the path of the domain's disk {@code vda}, as libvirt has it */
    private String activeLayer(String name) throws Exception {
        return execOut(List.of("virsh", "-c", uri, "domblklist", name)).lines().map(String::trim)
                .filter(l -> l.startsWith("vda ")).map(l -> l.substring(4).trim()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no vda in the domain " + name));
    }

    private void live(SnapshotManager here, SnapshotManager there, String other) throws Exception {
        Rounds timings = new Rounds();
        timings.run(smoke ? 0 : 1, runs, smoke ? List.of("esm", "libvirt") : List.of("esm", "libvirt", "esm-uefi"),
                true, (round, variant) -> {
            if (variant.equals("esm")) {
                esmLive(round, timings, here, there, other);
            } else if (variant.equals("esm-uefi")) {
                esmLiveUefi(round, timings, there, other);
            } else {
                libvirtLive(round, timings, other);
            }
        });
        report.add("travel", "live-downtime", "esm", 1, "live", 2, timings.get("esm downtime"),
                "moveTo(other).live(): 'Total downtime' on the target, 64 MiB TCG guest with 2 snapshots");
        report.add("travel", "live-move", "esm", 1, "live", 2, timings.get("esm move"),
                "the whole move: frozen images copied, metadata put aside, migration, redefined, verified, removed"
                        + " here");
        report.add("travel", "live-downtime", "virsh", 1, "live", 0, timings.get("virsh downtime"),
                "virsh migrate --live --copy-storage-inc, no snapshots, chain made at the target beforehand");
        report.add("travel", "live-migrate", "virsh", 1, "live", 0, timings.get("virsh migrate"),
                "the virsh migrate process, start to end");
        report.add("travel", "live-elapsed", "virsh", 1, "live", 0, timings.get("virsh elapsed"),
                "the target's 'Time elapsed' of the incoming migration");
        report.add("travel", "live-elapsed", "esm", 1, "live", 2, timings.get("esm elapsed"),
                "the target's 'Time elapsed' of the incoming migration");
        if (!smoke) {
            report.add("travel", "live-downtime", "esm-uefi", 1, "live", 1, timings.get("uefi downtime"),
                    "moveTo(other).live() of a running UEFI guest (OVMF, settled 15 s): libvirt's 'Total downtime'"
                            + " of the migration, which leaves it paused there");
            report.add("travel", "live-uefi-paused", "esm-uefi", 1, "live", 1, timings.get("uefi paused"),
                    "then the wait paused there: the variables checked (copied in place if the guest changed"
                            + " them) and the resume, from the steps' durations");
        }
        double esm = Timing.median(timings.get("esm downtime"));
        double virsh = Timing.median(timings.get("virsh downtime"));
        report.print(String.format(Locale.ROOT, "travel: live downtime medians: esm %.0f ms, virsh migrate %.0f ms"
                + " (%.2fx); esm's whole move %.0f ms", esm, virsh, esm / virsh,
                Timing.median(timings.get("esm move"))));
    }

    private void esmLive(Rounds.Round round, Rounds timings, SnapshotManager here, SnapshotManager there,
                         String other) throws Exception {
        try (ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-bench-live", 1, 16 * MIB)) {
            String name = lab.name();
            try {
                DomainSnapshots vm = here.domain(name);
                vm.setup(HERE + "/" + name + "/esm").execute();
                lab.start();
                vm.snapshot("s1").create();
                vm.snapshot("s2").create();
                double ms = time(() -> vm.moveTo(there).live().migrationAddress("127.0.0.1")
                        .path(MOVED + "/" + name).execute());
                String info = execOut(List.of("virsh", "-c", other, "domjobinfo", "--completed", name));
                timings.record(round, "esm move", ms);
                timings.record(round, "esm downtime", number(DOWNTIME, info, name));
                timings.record(round, "esm elapsed", number(ELAPSED, info, name));
            } finally {
                cleanUp(other, name);
            }
        }
    }

    /**
     * A running UEFI guest (OVMF, no bootable disk, settled 15 s so that its firmware has written its variables)
     * moved live: libvirt's downtime, and the time it then waits paused there for ESM (the variables' check or copy,
     * and the resume), from the steps' events.
     */
    private void esmLiveUefi(Rounds.Round round, Rounds timings, SnapshotManager there, String other)
            throws Exception {
        String name = "esm-bench-uefi-" + ProcessHandle.current().pid() + "-" + round.index();
        Path dir = Path.of(HERE, name);
        Files.createDirectories(dir);
        String vars = "/usr/share/OVMF/OVMF_VARS_4M.fd";
        Files.copy(Path.of(vars), dir.resolve("VARS.fd"));
        exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", dir + "/a.qcow2", Long.toString(16 * MIB)));
        Path xml = dir.resolve("domain.xml");
        Files.writeString(xml, "<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>64</memory>"
                + "<vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes'"
                + " type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram template='" + vars + "'>" + dir
                + "/VARS.fd</nvram></os><features><acpi/></features><devices><disk type='file' device='disk'>"
                + "<driver name='qemu' type='qcow2'/><source file='" + dir + "/a.qcow2'/><target dev='vda'"
                + " bus='virtio'/></disk></devices></domain>");
        exec(List.of("virsh", "-c", uri, "define", xml.toString()));
        double[] paused = new double[1];
        dev.esm.api.OperationListener afterMigration = new dev.esm.api.OperationListener() {
            @Override
            public void stepFinished(dev.esm.api.StepEvent e) {
                if (e.step().kind() == dev.esm.api.StepKind.RESUME_DOMAIN
                        || e.step().description().contains("in place")) {
                    paused[0] += e.duration().toNanos() / 1e6;
                }
            }
        };
        try (SnapshotManager here = SnapshotManager.builder(uri).listener(afterMigration).connect()) {
            DomainSnapshots vm = here.domain(name);
            vm.setup(dir + "/esm").execute();
            vm.snapshot("s1").create();
            exec(List.of("virsh", "-c", uri, "start", name));
            Thread.sleep(15_000);
            vm.moveTo(there).live().migrationAddress("127.0.0.1").path(MOVED + "/" + name).execute();
            String info = execOut(List.of("virsh", "-c", other, "domjobinfo", "--completed", name));
            timings.record(round, "uefi downtime", number(DOWNTIME, info, name));
            timings.record(round, "uefi paused", paused[0]);
        } finally {
            undefine(uri, name);
            cleanUp(other, name);
            exec(List.of("rm", "-rf", dir.toString()));
        }
    }

    private void libvirtLive(Rounds.Round round, Rounds timings, String other) throws Exception {
        String name = "esm-bench-vmig-" + ProcessHandle.current().pid() + "-" + round.index();
        String dir = HERE + "/" + name;
        Path targetDir = onOther(other, dir);
        try {
            // the same chain on both hosts at the same paths: a base, an empty overlay (the active layer)
            for (Path d : List.of(Path.of(dir), targetDir)) {
                Files.createDirectories(d);
                exec(List.of("chmod", "755", d.toString(), d.getParent().toString()));
            }
            String base = dir + "/base.qcow2";
            String top = dir + "/top.qcow2";
            exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", base, Long.toString(16 * MIB)));
            exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base, top));
            exec(List.of("cp", "--sparse=always", base, targetDir.resolve("base.qcow2").toString()));
            exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base,
                    targetDir.resolve("top.qcow2").toString()));
            Path xml = Path.of(dir, "domain.xml");
            Files.writeString(xml, "<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>64</memory>"
                    + "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
                    + "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" + top
                    + "'/><target dev='vda' bus='virtio'/></disk></devices></domain>");
            exec(List.of("virsh", "-c", uri, "define", xml.toString()));
            exec(List.of("virsh", "-c", uri, "start", name));
            double ms = time(() -> exec(List.of("virsh", "-c", uri, "migrate", "--live", "--persistent",
                    "--undefinesource", "--copy-storage-inc", "--migrate-disks", "vda", name, other,
                    "--migrateuri", "tcp://127.0.0.1", "--listen-address", "127.0.0.1")));
            String info = execOut(List.of("virsh", "-c", other, "domjobinfo", "--completed", name));
            timings.record(round, "virsh migrate", ms);
            timings.record(round, "virsh downtime", number(DOWNTIME, info, name));
            timings.record(round, "virsh elapsed", number(ELAPSED, info, name));
        } finally {
            undefine(uri, name);
            cleanUp(other, name);
            exec(List.of("rm", "-rf", dir, targetDir.toString()));
        }
    }

    private static double number(Pattern p, String info, String name) {
        Matcher m = p.matcher(info);
        if (!m.find()) {
            throw new IllegalStateException("no '" + p.pattern() + "' in the target's domjobinfo of " + name + ": "
                    + info);
        }
        return Double.parseDouble(m.group(1));
    }

    /**
     * Removes the domain {@code name} from the other host (with its snapshot metadata), the storage pools ESM made
     * there under its folder, that folder, and the domain's folder here.
     */
    private void cleanUp(String other, String name) throws Exception {
        undefine(other, name);
        String folder = MOVED + "/" + name;
        Connect c = new Connect(other);
        try {
            for (String pool : c.listStoragePools()) {
                if (!pool.startsWith("esm-")) {
                    continue;
                }
                StoragePool p = c.storagePoolLookupByName(pool);
                try {
                    String xml = p.getXMLDesc(0);
                    if (p.isPersistent() == 0 && (xml.contains("<path>" + folder + "/")
                            || xml.contains("<path>" + folder + "</path>"))) {
                        p.destroy();
                    }
                } finally {
                    p.free();
                }
            }
        } finally {
            c.close();
        }
        exec(List.of("rm", "-rf", onOther(other, folder).toString(), HERE + "/" + name));
    }

    /** Destroys and undefines {@code name} at {@code at}, with its snapshot metadata, when it is there. */
    private static void undefine(String at, String name) throws LibvirtException {
        Connect c = new Connect(at);
        try {
            org.libvirt.Domain d = c.domainLookupByName(name);
            if (d.isActive() == 1) {
                d.destroy();
            }
            d.undefine(UNDEFINE_ALL);
            d.free();
        } catch (LibvirtException gone) {
            // not there
        } finally {
            c.close();
        }
    }

    /** @return where this machine sees the other host's {@code folder}: in its root, unless it is the host's libvirt */
    private static Path onOther(String other, String folder) {
        if (other.equals("qemu:///system")) {
            return Path.of(folder);
        }
        String dir = System.getenv().getOrDefault("ESM_LIBVIRT11_DIR", "/var/lib/esm-libvirt11");
        return Path.of(dir, "root", folder.substring(1));
    }
}
