package dev.esm.libvirt.internal.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DeleteCommand;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.Progress;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.Invariants;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.testbed.LibvirtBed;

/**
 * Live merges of several disks run at once on the real libvirtd: one block job per disk, each finished (and an
 * active commit pivoted) on its own disk's events; cancellation reaches every disk's job.
 */
class ParallelMergeIT {
    private static final int A = 0x41;
    private static final int B = 0x42;
    private static final int F = 0x46;
    private static final List<String> DISKS = List.of("vda", "vdb", "vdc", "vdd");

    private LibvirtBed bed;
    private final Map<String, Map<String, Integer>> expected = new HashMap<>();
    /** Merge steps as ESM's listener reports them: index to [started, finished] in nanoseconds. */
    private final Map<Integer, long[]> mergeSteps = new ConcurrentHashMap<>();
    private dev.esm.api.SnapshotManager watched;

    @BeforeEach
    void open() {
        bed = new LibvirtBed();
        watched = dev.esm.api.SnapshotManager.builder(LibvirtBed.URI)
                .imageAccess(dev.esm.api.ImageAccess.LOCAL_FILES)
                .listener(new dev.esm.api.OperationListener() {
                    @Override
                    public void stepStarted(dev.esm.api.StepEvent e) {
                        if (e.step().kind() == dev.esm.api.StepKind.MERGE) {
                            mergeSteps.put(e.index(), new long[] {System.nanoTime(), Long.MAX_VALUE});
                        }
                    }

                    @Override
                    public void stepFinished(dev.esm.api.StepEvent e) {
                        if (e.step().kind() == dev.esm.api.StepKind.MERGE) {
                            mergeSteps.computeIfPresent(e.index(), (i, t) -> new long[] {t[0], System.nanoTime()});
                        }
                    }
                })
                .connect();
    }

    @AfterEach
    void close() {
        watched.close();
        bed.close();
    }

    /** @return the most merge steps that ran at one instant, by the listener's start and end times */
    private int mostMergeStepsAtOnce() {
        int most = 0;
        for (long[] a : mergeSteps.values()) {
            int n = 0;
            for (long[] b : mergeSteps.values()) {
                if (b[0] <= a[0] && a[0] < b[1]) {
                    n++;
                }
            }
            most = Math.max(most, n);
        }
        return most;
    }

    private static Map<String, Integer> all(int pattern) {
        Map<String, Integer> m = new HashMap<>();
        DISKS.forEach(t -> m.put(t, pattern));
        return m;
    }

    /**
     * Watches a domain's block jobs while an operation runs, asking QEMU for all of them in one call (HMP
     * {@code info block-jobs}), and keeps the most that were running at one instant.
     */
    private final class JobWatcher implements AutoCloseable {
        private final Thread thread;
        private volatile boolean stop;
        private final java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();

        JobWatcher(String dom) {
            thread = new Thread(() -> {
                while (!stop) {
                    try {
                        String jobs = bed.libvirtHost().humanMonitorCommand(dom, "info block-jobs");
                        int n = (int) jobs.lines().filter(l -> l.startsWith("Type ")).count();
                        most.accumulateAndGet(n, Math::max);
                        Thread.sleep(5);
                    } catch (RuntimeException busy) {
                        // the domain's monitor is taken by the merge for a moment: ask again
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "job-watcher");
            thread.start();
        }

        /** Stops watching; the operation being watched must have finished. */
        @Override
        public void close() {
            stop = true;
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * QEMU's job list polled every few milliseconds shows several jobs at once; a fast QEMU (10.0 commits 64 MiB
         * in well under the time of a poll under load) may finish them between two polls, so the merge steps ESM's
         * listener saw overlapping in time count as the same evidence.
         */
        void assertSeveralAtOnce(String what) {
            int steps = mostMergeStepsAtOnce();
            assertTrue(most.get() >= 2 || steps >= 2, what + ": the disks' block jobs ran one after another (at most "
                    + most.get() + " in QEMU's job list, " + steps + " merge steps at one instant)");
        }
    }

    /** Every disk's progress, and whether its job reported its end. */
    private static final class Seen {
        final Map<String, Boolean> ended = new ConcurrentHashMap<>();

        void on(Progress p) {
            ended.merge(p.disk(), p.total() > 0 && p.done() >= p.total(), Boolean::logicalOr);
        }

        void assertEveryDiskEnded(String what) {
            assertEquals(DISKS.size(), ended.size(), what + ": every disk reports progress: " + ended);
            assertTrue(ended.values().stream().allMatch(e -> e), what + ": every disk's job reports its end: " + ended);
        }
    }

    /** Deletes a snapshot, checking that its disks' jobs ran at once and that each reported its end. */
    private void deleteWatched(DomainSnapshots d, String snapshot, String what) {
        mergeSteps.clear();
        d = watched.domain(d.name());
        Seen seen = new Seen();
        try (JobWatcher w = new JobWatcher(d.name())) {
            d.delete(snapshot).progress(seen::on).execute();
            w.close();
            w.assertSeveralAtOnce(what);
        }
        expected.remove(snapshot);
        seen.assertEveryDiskEnded(what);
    }

    /** Writes {@code bytes} of a pattern through the running domain's QEMU (HMP qemu-io). */
    private void writeLive(String dom, String target, int pattern, long bytes) {
        org.w3c.dom.Element root = dev.esm.core.xml.Xml.parse(bed.host().domainXml(dom, true)).getDocumentElement();
        for (org.w3c.dom.Element disk : dev.esm.core.xml.Xml.path(root, "devices", "disk")) {
            if (dev.esm.core.xml.Xml.child(disk, "target").map(t -> t.getAttribute("dev")).orElse("").equals(target)) {
                String alias = dev.esm.core.xml.Xml.child(disk, "alias").orElseThrow().getAttribute("name");
                String out = bed.libvirtHost().humanMonitorCommand(dom, "qemu-io -d /machine/peripheral/" + alias
                        + "/virtio-backend \"" + String.format("write -P 0x%02x 0 %d", pattern, bytes) + "\"");
                assertTrue(out.isBlank(), "HMP qemu-io write: " + out);
                return;
            }
        }
        throw new IllegalArgumentException("no disk " + target);
    }

    private String fourDiskDomainWithTwoLargeSnapshots() {
        List<DiskSpec> specs = new ArrayList<>();
        DISKS.forEach(t -> specs.add(DiskSpec.qcow2(t, t + ".qcow2").size(1L << 30)));
        String dom = bed.newDomain(specs);
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        for (String t : DISKS) {
            bed.writeLarge(dom, t, A, 64L << 20);
        }
        d.snapshot("s1").create();
        expected.put("s1", all(A));
        for (String t : DISKS) {
            bed.writeLarge(dom, t, B, 64L << 20);
        }
        d.snapshot("s2").create();
        expected.put("s2", all(B));
        return dom;
    }

    @Test
    void liveDeleteAndCommitRunOneBlockJobPerDiskAtOnceAndPivotEachDisk() {
        String dom = fourDiskDomainWithTwoLargeSnapshots();
        DomainSnapshots d = bed.manager().domain(dom);
        bed.start(dom);
        try {
            for (String t : DISKS) {
                writeLive(dom, t, F, 32L << 20); // enough for each disk's active commit to take a while
            }
            // s1's image takes s2's data: an intermediate live commit on each disk.
            deleteWatched(d, "s1", "delete of a middle snapshot");
            Invariants.check(bed, dom, expected);
            // s2 is current: the active layer goes into its image, an active commit and a pivot per disk.
            deleteWatched(d, "s2", "delete of the current snapshot");
            for (String t : DISKS) {
                assertTrue(bed.reads(dom, t, F), t + " keeps the running state after its pivot");
            }
            String live = bed.host().domainXml(dom, true);
            String persistent = bed.host().domainXml(dom, false);
            for (String t : DISKS) {
                assertEquals(dev.esm.core.xml.DomainXml.chain(persistent, t).get(0),
                        dev.esm.core.xml.DomainXml.chain(live, t).get(0), t + ": the definition names the image the"
                                + " domain runs on after the pivot");
            }
            Invariants.check(bed, dom, expected);
            d.snapshot("s3").create();
            expected.put("s3", all(F));
            d.snapshot("s4").create();
            expected.put("s4", all(F));
            Seen commit = new Seen();
            d.commit("base", "s4").progress(commit::on).execute();
            expected.remove("s3");
            expected.remove("s4");
            commit.assertEveryDiskEnded("commit");
        } finally {
            bed.stop(dom);
        }
        Invariants.check(bed, dom, expected);
        for (String t : DISKS) {
            assertTrue(bed.reads(dom, t, F), t + " reads the state it had when it was stopped");
        }
    }

    @Test
    void cancellingLiveMergesOfFourDisksStopsEveryJobAndKeepsEverySurvivingSnapshot() {
        String dom = fourDiskDomainWithTwoLargeSnapshots();
        DomainSnapshots d = bed.manager().domain(dom);
        bed.start(dom);
        Map<String, Boolean> seen = new ConcurrentHashMap<>();
        try {
            DeleteCommand delete = d.delete("s1");
            delete.progress(p -> {
                seen.put(p.disk(), true);
                if (p.done() < p.total()) {
                    delete.cancel();
                }
            });
            try {
                delete.execute();
            } catch (OperationCancelledException expectedWhenAJobWasStillRunning) {
                // what matters is what is left
            }
            assertFalse(seen.isEmpty(), "progress was reported");
            // s1's images were being merged into: it is removed as asked, its data kept in unnamed images.
            expected.remove("s1");
            assertTrue(d.chain().find("s1").isEmpty());
            assertTrue(d.chain().find("s2").isPresent());
            String jobs = bed.libvirtHost().humanMonitorCommand(dom, "info block-jobs");
            assertTrue(jobs.contains("No active jobs"), "every disk's job was aborted or has ended: " + jobs);
        } finally {
            bed.stop(dom);
        }
        Invariants.check(bed, dom, expected);
        d.revert("s2").execute();
        for (String t : DISKS) {
            assertTrue(bed.reads(dom, t, B), t + " of s2 keeps its data");
        }
        assertThrows(dev.esm.api.errors.SnapshotNotFoundException.class, () -> d.revert("s1").execute());
    }
}
