package dev.esm.bench;

import static dev.esm.bench.harness.Timing.time;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainState;
import dev.esm.api.ImageFormat;
import dev.esm.api.SnapshotState;
import dev.esm.bench.harness.Report;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.model.SnapshotTree;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.Planner;
import dev.esm.core.plan.RevertPlanner;
import dev.esm.core.xml.DomainXml;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code model} section: esm-core's tree model and planners alone, without libvirt, up to 10,000 snapshots. Not
 * thread-safe; one instance per run.
 */
final class ModelBench {
    private final boolean smoke;
    private final int runs;
    private final Report report;

    ModelBench(boolean smoke, int runs, Report report) {
        this.smoke = smoke;
        this.runs = runs;
        this.report = report;
    }

    void run() throws Exception {
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

    private void add(String section, String op, String variant, int disks, String mode, int chain, List<Double> ms,
                     String note) {
        report.add(section, op, variant, disks, mode, chain, ms, note);
    }
}
