package dev.esm.bench;

import static dev.esm.bench.harness.Processes.exec;
import static dev.esm.bench.harness.Timing.time;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import dev.esm.bench.harness.Report;
import dev.esm.bench.harness.Timing.Action;
import dev.esm.junit5.RamFiller;
import dev.esm.junit5.ThrowawayDomain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;

/**
 * The {@code memory} section: memory snapshots of running domains whose guest fills its RAM, against internal
 * snapshots with memory and libvirt's floor under a revert. Not thread-safe; one instance per run.
 */
final class MemoryBench {
    private final String uri;
    private final boolean smoke;
    private final int runs;
    private final Report report;

    MemoryBench(String uri, boolean smoke, int runs, Report report) {
        this.uri = uri;
        this.smoke = smoke;
        this.runs = runs;
        this.report = report;
    }

    /**
     * Memory snapshots of running domains whose guest fills its RAM ({@link RamFiller}), at each size of
     * {@code -Desm.bench.memorySizes} (MiB; 64,256,1024, or 64 for a smoke pass; the row's mode names it), 1 disk:
     * ESM's create and revert to running/paused, next to internal snapshots with memory, and the floor under a revert:
     * libvirt's destroy, a restore of a saved file of the same size alone ({@code virsh restore}, and the same call ESM
     * makes, {@code virDomainRestoreFlags}, from this JVM) and a cold start. Three domains of the size run side by side
     * and every round measures each kind once, so that the comparisons see the same load.
     */
    void run() throws Exception {
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

    private void add(String section, String op, String variant, int disks, String mode, int chain, List<Double> ms,
                     String note) {
        report.add(section, op, variant, disks, mode, chain, ms, note);
    }
}
