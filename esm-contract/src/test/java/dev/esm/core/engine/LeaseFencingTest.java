package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Finding;
import dev.esm.api.Recovery;
import dev.esm.api.Snapshot;
import dev.esm.api.errors.LeaseLostException;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import dev.esm.core.port.Host;
import dev.esm.core.port.StateStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A client that loses its domain's lease part-way makes no further change, whatever it was doing: for every operation
 * and every point at which the lease can be lost (after each change the operation makes), the client stops at once
 * with {@link LeaseLostException}, the port sees not one more change, the journal it wrote last stays for the lease's
 * new owner, and that owner's recovery leaves every snapshot with its content. The lease here is lost by decree (the
 * real one, a volume lease on a remote host, is proven by pausing a process in the remote ITs).
 */
class LeaseFencingTest {
    private static final Set<String> CHANGES = Set.of("defineDomain", "startDomain", "stopDomain", "restore",
            "suspendDomain", "resumeDomain", "createSnapshot", "redefineSnapshot", "deleteSnapshotMetadata",
            "blockCommit", "createOverlay", "makeDirectory", "place", "copy", "commit", "rebase", "writeJournal",
            "removeJournal", "remove");
    private static final Map<String, Integer> CONTENT = Map.of("s1", 0x11, "s2", 0x22, "s3", 0x33);

    /** A port that counts the changes made through it and whose lease is lost once {@code allowed} were made. */
    private static final class Counted {
        final FakeBed bed;
        final List<String> changes = Collections.synchronizedList(new ArrayList<>());
        volatile int allowed = Integer.MAX_VALUE;
        final AtomicBoolean otherHolds = new AtomicBoolean();
        final java.util.concurrent.atomic.AtomicInteger granted = new java.util.concurrent.atomic.AtomicInteger();

        Counted(FakeBed bed) {
            this.bed = bed;
        }

        Host host() {
            return InterceptedPort.of(bed.host(), (port, m, args, real) -> {
                if (port == StateStore.class && m.getName().equals("lock")) {
                    return decreed((StateStore.Lease) real.proceed());
                }
                if (port == StateStore.class && m.getName().equals("lockHolder")) {
                    return otherHolds.get()
                            ? Optional.of(new StateStore.LockHolder("client B", Optional.empty()))
                            : Optional.empty();
                }
                if (CHANGES.contains(m.getName())) {
                    changes.add(m.getName());
                }
                return real.proceed();
            });
        }

        /** The lease, with each proof granting one change (the fence proves once per change), up to the decree. */
        private StateStore.Lease decreed(StateStore.Lease lease) {
            return new StateStore.Lease() {
                @Override
                public void ensureHeld() {
                    if (granted.incrementAndGet() > allowed) {
                        granted.set(Integer.MAX_VALUE / 2); // sticky
                        throw new LeaseLostException("lost by decree", LeaseLostException.Fate.PENDING);
                    }
                }

                @Override
                public void close() {
                    lease.close();
                }
            };
        }
    }

    /** s1, s2, s3 in a line on two disks, each with its own content on vda; the current state has a fourth. */
    private static String prepare(FakeBed bed, boolean running) {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2"), DiskSpec.qcow2("vdb", "b.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup("/fake/esm").execute();
        if (running) {
            bed.host().startDomain(dom);
        }
        for (String s : List.of("s1", "s2", "s3")) {
            bed.write(dom, "vda", CONTENT.get(s));
            d.snapshot(s).create();
        }
        bed.write(dom, "vda", 0x44);
        return dom;
    }

    private static void everySnapshotKeepsItsContent(FakeBed bed, String dom) {
        DomainSnapshots d = bed.manager().domain(dom);
        List<Finding> problems = d.check();
        assertTrue(problems.isEmpty(), problems.toString());
        for (Snapshot s : d.chain().snapshots()) {
            if (CONTENT.containsKey(s.name())) {
                d.revert(s.name()).stopIfRunning().execute();
                assertTrue(bed.reads(dom, "vda", CONTENT.get(s.name())), s.name() + " keeps its content");
            }
        }
    }

    private void lostAfterEveryChange(String what, boolean running, Consumer<DomainSnapshots> op) {
        Counted probe = new Counted(new FakeBed());
        String dom = prepare(probe.bed, running);
        probe.changes.clear();
        op.accept(new CoreSnapshotManager(probe.host()).domain(dom));
        int total = probe.changes.size();
        assertTrue(total > 2, what + " makes changes: " + probe.changes);
        for (int n = 0; n < total; n++) {
            Counted c = new Counted(new FakeBed());
            String d = prepare(c.bed, running);
            c.changes.clear();
            c.allowed = n;
            DomainSnapshots a = new CoreSnapshotManager(c.host()).domain(d);
            LeaseLostException lost = assertThrows(LeaseLostException.class, () -> op.accept(a),
                    what + " lost after " + n + " changes");
            assertEquals(n, c.changes.size(), what + ": no change after the lease was lost at " + n + ": " + c.changes);
            assertEquals(n == 0 ? LeaseLostException.Fate.UNDONE : LeaseLostException.Fate.PENDING, lost.fate(),
                    lost.getMessage());
            assertTrue(!lost.getMessage().contains("\n"), "one line: " + lost.getMessage());
            // The lease's new owner (here: a manager without the decree) finds the journal and recovers it.
            everySnapshotKeepsItsContent(c.bed, d);
        }
    }

    @Test
    void aCreateThatLosesItsLeaseAfterAnyChangeMakesNoFurtherChangeAndIsRecoveredWhole() {
        lostAfterEveryChange("create", false, d -> d.snapshot("x").create());
    }

    @Test
    void aRevertThatLosesItsLeaseAfterAnyChangeMakesNoFurtherChangeAndIsRecoveredWhole() {
        lostAfterEveryChange("revert", false, d -> d.revert("s1").execute());
    }

    @Test
    void anOfflineDeleteThatLosesItsLeaseAfterAnyChangeMakesNoFurtherChangeAndIsRecoveredWhole() {
        lostAfterEveryChange("delete", false, d -> d.delete("s2").execute());
    }

    @Test
    void aLiveDeleteThatLosesItsLeaseAfterAnyChangeMakesNoFurtherChangeAndIsRecoveredWhole() {
        lostAfterEveryChange("live delete", true, d -> d.delete("s2").execute());
    }

    @Test
    void aCommitThatLosesItsLeaseAfterAnyChangeMakesNoFurtherChangeAndIsRecoveredWhole() {
        lostAfterEveryChange("commit", false, d -> d.commit("s1", "s3").execute());
    }

    @Test
    void aClientWhoseOperationTheNewOwnerCompletedSaysSoAndCountsItAsDone() throws Exception {
        LeaseLostException e = lostWhileAnotherRecovers("delete", d -> d.delete("s2").execute(), true);
        assertEquals(LeaseLostException.Fate.COMPLETED, e.fate(), e.getMessage());
        assertTrue(e.tookEffect());
        assertTrue(e.getMessage().contains("the delete of 's2'") && e.getMessage().contains("completed it"),
                "names its own operation and its fate: " + e.getMessage());
    }

    @Test
    void aClientWhoseOperationTheNewOwnerUndidSaysSoAndDoesNotCountItAsDone() throws Exception {
        LeaseLostException e = lostWhileAnotherRecovers("create", d -> d.snapshot("x").create(), false);
        assertEquals(LeaseLostException.Fate.UNDONE, e.fate(), e.getMessage());
        assertTrue(!e.tookEffect());
        assertTrue(e.getMessage().contains("the create of 'x'") && e.getMessage().contains("undid it"),
                "names its own operation and its fate: " + e.getMessage());
    }

    /**
     * Client A loses the lease part-way through {@code op} (near its end when {@code late}, else after its journal
     * and first file); client B, holding the lease meanwhile, recovers the journal A left.
     */
    private LeaseLostException lostWhileAnotherRecovers(String what, Consumer<DomainSnapshots> op, boolean late)
            throws Exception {
        Counted probe = new Counted(new FakeBed());
        String pd = prepare(probe.bed, false);
        probe.changes.clear();
        op.accept(new CoreSnapshotManager(probe.host()).domain(pd));
        Counted c = new Counted(new FakeBed());
        String dom = prepare(c.bed, false);
        c.changes.clear();
        c.allowed = late ? probe.changes.size() - 1 : 2;
        c.otherHolds.set(true);
        CountDownLatch lost = new CountDownLatch(1);
        List<Recovery> recovered = Collections.synchronizedList(new ArrayList<>());
        Thread b = new Thread(() -> {
            try {
                lost.await(10, TimeUnit.SECONDS);
                Thread.sleep(300); // A is waiting for the fate by now
                DomainSnapshots other = new CoreSnapshotManager(c.bed.host()).domain(dom);
                other.recover();
                other.lastRecovery().ifPresent(recovered::add);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                c.otherHolds.set(false);
            }
        });
        b.start();
        Thread watcher = new Thread(() -> {
            while (c.changes.size() < c.allowed) {
                Thread.onSpinWait();
            }
            lost.countDown();
        });
        watcher.setDaemon(true);
        watcher.start();
        DomainSnapshots a = new CoreSnapshotManager(c.host()).domain(dom);
        LeaseLostException e = assertThrows(LeaseLostException.class, () -> op.accept(a), what);
        b.join(20_000);
        assertEquals(c.allowed, c.changes.size(), "A made no change after losing the lease: " + c.changes);
        assertEquals(1, recovered.size(), "B recovered A's " + what);
        assertEquals(recovered.get(0).completed(), e.tookEffect(), e.getMessage());
        everySnapshotKeepsItsContent(c.bed, dom);
        return e;
    }
}
