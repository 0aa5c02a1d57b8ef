package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.Invariants;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.testbed.LibvirtBed;

/**
 * A fleet of tiny running domains driven at once from one {@code SnapshotManager} on the real libvirtd, one thread
 * per domain: every domain's operations (live snapshots, live merges finished on their events, active commits with
 * pivots) complete with the right contents, all while another domain is held in the middle of a merge (its lock
 * taken, its block job running, its merge thread stopped in the progress listener), which holds up none of them.
 * One test, as setting up 21 running domains is the cost. Nothing here measures speed (the benchmark's
 * {@code fleet} section does).
 */
class FleetIT {
    private static final int FLEET = 20;
    private static final int A = 0x41;
    private static final int B = 0x42;
    private static final int C = 0x43;
    /** Long enough to tell a hang from a busy machine; not a speed limit. */
    private static final long HANG_MINUTES = 10;

    private LibvirtBed bed;
    private ExecutorService pool;
    private final List<String> fleet = new ArrayList<>();
    private final Map<String, Map<String, Map<String, Integer>>> expected = new ConcurrentHashMap<>();

    @BeforeEach
    void open() throws Exception {
        bed = new LibvirtBed();
        pool = Executors.newFixedThreadPool(FLEET + 1);
        for (int i = 0; i < FLEET + 1; i++) {
            fleet.add(bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2"))));
        }
        all(fleet, dom -> {
            DomainSnapshots d = bed.manager().domain(dom);
            d.setup(bed.folder(dom) + "/esm").execute();
            bed.start(dom);
            expected.put(dom, new HashMap<>());
            return null;
        });
    }

    @AfterEach
    void close() {
        pool.shutdownNow();
        bed.close();
    }

    @FunctionalInterface
    private interface PerDomain {
        Object run(String domain) throws Exception;
    }

    /** Runs {@code work} on every domain at once, one thread each, and waits for all (failing on the first error). */
    private void all(List<String> domains, PerDomain work) throws Exception {
        List<Future<Object>> done = new ArrayList<>();
        for (String dom : domains) {
            done.add(pool.submit((Callable<Object>) () -> work.run(dom)));
        }
        for (Future<Object> f : done) {
            f.get(HANG_MINUTES, TimeUnit.MINUTES);
        }
    }

    /**
     * One domain's work: live snapshots, a live merge (intermediate commit), an active commit with pivot, all
     * through the shared manager; the domain's contents checked after.
     */
    private Object cycle(String dom) {
        DomainSnapshots d = bed.manager().domain(dom);
        Map<String, Map<String, Integer>> exp = expected.get(dom);
        bed.write(dom, "vda", A);
        d.snapshot("s1").create();
        exp.put("s1", Map.of("vda", A));
        bed.write(dom, "vda", B);
        d.snapshot("s2").create();
        exp.put("s2", Map.of("vda", B));
        bed.write(dom, "vda", C);
        d.delete("s1").execute(); // a live intermediate commit, finished on its event
        exp.remove("s1");
        d.delete("s2").execute(); // the current snapshot: an active commit and a pivot
        exp.remove("s2");
        assertTrue(bed.reads(dom, "vda", C), dom + " keeps its running state");
        assertTrue(d.chain().snapshots().isEmpty(), dom + ": both snapshots are gone");
        return null;
    }

    @Test
    void twentyDomainsOperatedAtOnceFromOneManagerEndRightAndADomainHeldInAMergeHoldsUpNone() throws Exception {
        String held = fleet.get(FLEET);
        List<String> others = fleet.subList(0, FLEET);
        DomainSnapshots h = bed.manager().domain(held);
        bed.write(held, "vda", A);
        h.snapshot("s1").create();
        bed.write(held, "vda", B);
        CountDownLatch inMerge = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // The current snapshot's delete: an active commit, held in its first progress report, so the domain's lock
        // is taken, its block job runs (then waits, ready, for the pivot) and its merge thread is stopped.
        Future<?> merge = pool.submit(() -> h.delete("s1").progress(p -> {
            inMerge.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).execute());
        assertTrue(inMerge.await(HANG_MINUTES, TimeUnit.MINUTES), "the held domain's merge started");
        try {
            all(others, this::cycle);
            assertFalse(merge.isDone(), "the held domain was still in its merge while the others did theirs");
            String jobs = bed.libvirtHost().humanMonitorCommand(held, "info block-jobs");
            assertTrue(jobs.contains("Type commit") || jobs.contains("Type active"), "its block job was still there: "
                    + jobs);
        } finally {
            release.countDown();
        }
        merge.get(HANG_MINUTES, TimeUnit.MINUTES);
        assertTrue(bed.reads(held, "vda", B), "the held domain kept its running state through its late pivot");
        assertEquals(List.of(), h.chain().snapshots());
        for (String dom : others) {
            bed.stop(dom);
            Invariants.check(bed, dom, expected.get(dom));
            assertTrue(bed.reads(dom, "vda", C), dom + " reads what it had when stopped");
        }
        bed.stop(held);
        Invariants.check(bed, held, Map.of());
    }
}
