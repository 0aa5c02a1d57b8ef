package dev.esm.bench;

import static dev.esm.bench.harness.Timing.time;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import dev.esm.bench.harness.Report;
import dev.esm.junit5.ThrowawayDomain;
import java.util.ArrayList;
import java.util.List;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;

/**
 * The {@code chain} section: the cost of create, revert, tree reads, find, exists and info against the tree's size.
 * Not thread-safe; one instance per run.
 */
final class ChainBench {
    private final String uri;
    private final int runs;
    private final int[] chains;
    private final Report report;

    /** @param chains the tree sizes to measure at, in growing order ({@code -Desm.bench.chains}) */
    ChainBench(String uri, int runs, int[] chains, Report report) {
        this.uri = uri;
        this.runs = runs;
        this.chains = chains;
        this.report = report;
    }

    /** Snapshots beyond this many are metadata-only redefinitions (real ones take a minute per thousand or more). */
    private static final int REAL_SNAPSHOTS = Integer.getInteger("esm.bench.realSnapshots", 1000);

    /**
     * Cost against the tree's size: real snapshots taken by ESM up to {@link #REAL_SNAPSHOTS}, then metadata-only
     * redefinitions of the last one's XML (under new names, each the child of the one before) up to the largest size.
     * At each size: a create (real sizes only), a revert, the whole tree read once settled (from the cache), the
     * whole tree read right after a redefinition made behind ESM's back (raw libvirt call), the tree read by a new
     * manager (nothing cached: one lookup and one XML per snapshot), and one snapshot's find, exists and info.
     */
    void run() throws Exception {
        try (SnapshotManager esm = SnapshotManager.connect(uri);
             ThrowawayDomain lab = ThrowawayDomain.create(uri, "esm-chain", 1, 64L << 20)) {
            Connect raw = new Connect(uri);
            try {
                run(esm, lab, raw);
            } finally {
                raw.close();
            }
        }
    }

    private void run(SnapshotManager esm, ThrowawayDomain lab, Connect raw) throws Exception {
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
                    report.print("   note: libvirt refuses to start a domain whose chain holds more than 200 images");
                }
            }
        }
    }

    private void add(String section, String op, String variant, int disks, String mode, int chain, List<Double> ms,
                     String note) {
        report.add(section, op, variant, disks, mode, chain, ms, note);
    }
}
