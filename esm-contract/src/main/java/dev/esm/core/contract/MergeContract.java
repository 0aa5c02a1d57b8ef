package dev.esm.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DeleteCommand;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.StepKind;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.core.contract.Bed.DiskSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Delete and commit (docs/semantics.md): on a tree with two branches and two disks (one raw base), every surviving
 * snapshot and the current state keep their contents, no orphan is left, libvirt agrees; offline and live.
 */
public abstract class MergeContract extends SnapshotContract {
    protected static final int E = 0x45;
    protected static final int F = 0x46;

    protected String dom;
    protected DomainSnapshots d;

    /**
     * base -> s1 -> s2 -> s3
     *              \\-> s4 -> s5 (current)
     * Each snapshot's disks read their own patterns: vda (qcow2) and vdb (raw base).
     */
    protected void twoBranches() {
        dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2"), DiskSpec.raw("vdb", "data.img")));
        d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        expected.put("base", Map.of("vda", 0, "vdb", 0));
        take("s1", A);
        take("s2", B);
        take("s3", C);
        d.revert("s1").execute();
        take("s4", D);
        take("s5", E);
        check(dom);
    }

    protected void take(String name, int pattern) {
        bed.write(dom, "vda", pattern);
        bed.write(dom, "vdb", pattern + 0x10);
        create(d, name, Map.of("vda", pattern, "vdb", pattern + 0x10));
    }

    protected void assertState(int pattern) {
        assertReads(dom, "vda", pattern);
        assertReads(dom, "vdb", pattern + 0x10);
    }

    protected Set<String> disksFolder() {
        return bed.files(bed.folder(dom) + "/esm/disks");
    }

    /** Checks that the chain a delete or commit returned is the tree as read afterwards. */
    protected void returnsTheTree(SnapshotChain returned) {
        SnapshotChain read = d.chain();
        assertEquals(read.render(), returned.render());
        assertEquals(read.current(), returned.current());
        assertEquals(read.base(), returned.base());
        assertEquals(Set.copyOf(read.snapshots()), Set.copyOf(returned.snapshots()));
    }

    protected void deleted(String... names) {
        for (String name : names) {
            expected.remove(name);
            assertTrue(d.chain().find(name).isEmpty(), name + " is gone");
        }
        check(dom);
    }

    @Test
    void deletingALeafRemovesItsImagesAndNothingElse() {
        twoBranches();
        int files = disksFolder().size();
        d.delete("s3").execute();
        deleted("s3");
        assertEquals(files - 2, disksFolder().size());
        assertState(E);
    }

    @Test
    void deletingAMiddleSnapshotMergesItIntoItsOnlyChild() {
        twoBranches();
        int files = disksFolder().size();
        var plan = d.delete("s2").plan();
        assertTrue(plan.steps().stream().anyMatch(s -> s.kind() == StepKind.MERGE), plan.render());
        d.delete("s2").execute();
        deleted("s2");
        assertEquals(Optional.of("s1"), d.chain().get("s3").parent());
        assertEquals(files - 2, disksFolder().size());
        d.revert("s3").execute();
        check(dom);
        assertState(C);
    }

    @Test
    void deletingTheCurrentSnapshotKeepsTheCurrentStateAndMakesItsParentCurrent() {
        twoBranches();
        bed.write(dom, "vda", F);
        bed.write(dom, "vdb", F + 0x10);
        d.delete("s5").execute();
        deleted("s5");
        assertState(F);
        assertEquals("s4", d.chain().current().orElseThrow().name());
        d.refresh().execute();
        check(dom);
        assertState(D);
    }

    @Test
    void deletingABranchPointKeepsItsImageUnnamedUntilNobodyNeedsIt() {
        twoBranches();
        d.delete("s1").execute();
        deleted("s1");
        assertEquals(Optional.empty(), d.chain().get("s2").parent());
        assertEquals(Optional.empty(), d.chain().get("s4").parent());
        for (String s : List.of("s3", "s2", "s5", "s4")) {
            d.delete(s).execute();
            deleted(s);
        }
        assertState(E);
        d.revert("base").execute();
        check(dom);
        assertEquals(4, disksFolder().size(), "two base images and two fresh overlays: " + disksFolder());
    }

    @Test
    void commitAcrossThreeSnapshotsKeepsTheBaseAndTheCurrentState() {
        dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2"), DiskSpec.raw("vdb", "data.img")));
        d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        expected.put("base", Map.of("vda", 0, "vdb", 0));
        take("s1", A);
        take("s2", B);
        take("s3", C);
        take("s4", D);
        bed.write(dom, "vda", E);
        bed.write(dom, "vdb", E + 0x10);
        var plan = d.commit("s1", "s4").plan();
        assertEquals(2, plan.steps().stream().filter(s -> s.kind() == StepKind.MERGE).count(), plan.render());
        returnsTheTree(d.commit("s1", "s4").execute());
        deleted("s2", "s3", "s4");
        assertState(E);
        assertEquals("s1", d.chain().current().orElseThrow().name());
        assertEquals(List.of("s1"), d.chain().snapshots().stream().map(Snapshot::name).toList());
        assertEquals(2 + 2 + 2, disksFolder().size(), "bases, s1's images, the active layers: " + disksFolder());
        d.refresh().execute();
        check(dom);
        assertState(A);
    }

    @Test
    void commitOfABranchEndingInALeafRemovesTheWholeRange() {
        twoBranches();
        returnsTheTree(d.commit("s1", "s3").execute());
        deleted("s2", "s3");
        assertState(E);
    }

    @Test
    void commitRefusesToWriteIntoAnImageASiblingBranchStandsOn() {
        twoBranches();
        String before = bed.host().domainXml(dom, false);
        Set<String> files = disksFolder();
        var e = assertThrows(InvalidOperationException.class, () -> d.commit("base", "s3").execute());
        assertTrue(e.getMessage().contains("stands on"), e.getMessage());
        assertThrows(InvalidOperationException.class, () -> d.commit("s2", "s5").execute(), "different branches");
        assertThrows(InvalidOperationException.class, () -> d.commit("s3", "s1").execute(), "base below top");
        assertThrows(InvalidOperationException.class, () -> d.delete("base").execute());
        assertEquals(before, bed.host().domainXml(dom, false));
        assertEquals(files, disksFolder());
        check(dom);
    }

    @Test
    void liveDeleteAndCommitMergeThroughTheRunningDomain() {
        twoBranches();
        bed.start(dom);
        try {
            bed.write(dom, "vda", F);
            bed.write(dom, "vdb", F + 0x10);
            returnsTheTree(d.delete("s4").execute()); // in the running chain: a live intermediate commit
            deleted("s4");
            assertState(F);
            returnsTheTree(d.delete("s5").execute()); // the current snapshot: an active commit, then a pivot
            deleted("s5");
            assertState(F);
            returnsTheTree(d.delete("s3").execute()); // off the running chain: offline, while the domain runs
            deleted("s3");
            take("s6", A);
            take("s7", B);
            bed.write(dom, "vda", C);
            bed.write(dom, "vdb", C + 0x10);
            returnsTheTree(d.commit("s1", "s7").execute());
            deleted("s6", "s7");
            assertState(C);
        } finally {
            if (d.state().isActive()) {
                bed.stop(dom);
            }
        }
        check(dom);
        assertState(C);
    }

    @Test
    void cancellingAMergeLeavesEverySurvivingSnapshotReadable() {
        twoBranches();
        List<String> seen = new ArrayList<>();
        DeleteCommand delete = d.delete("s2");
        delete.progress(p -> {
            seen.add(p.disk());
            delete.cancel();
        });
        try {
            delete.execute();
        } catch (OperationCancelledException expectedWhenTheJobWasStillRunning) {
            // either outcome is fine; what matters is what is left
        }
        assertFalse(seen.isEmpty(), "progress was reported");
        deleted("s2");
        assertState(E);
        d.revert("s3").execute();
        check(dom);
        assertState(C);
    }
}
