package dev.esm.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.CreateCommand;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.Ineligibility;
import dev.esm.api.Plan;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.StepKind;
import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.api.errors.DomainStateException;
import dev.esm.api.errors.InvalidNameException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.SnapshotExistsException;
import dev.esm.api.errors.SnapshotNotFoundException;
import dev.esm.core.contract.Bed.DiskSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The behavioural contract of docs/semantics.md, run against any {@link Bed}: the in-memory fake (this module's
 * tests), the real libvirtd (esm-libvirt's ITs). After every step the invariants are checked ({@link Invariants}).
 */
public abstract class SnapshotContract extends BedLifecycle {
    protected static final int A = 0x41;
    protected static final int B = 0x42;
    protected static final int C = 0x43;
    protected static final int D = 0x44;
    protected static final int Z = 0x5a;

    protected Snapshot create(DomainSnapshots d, String name, Map<String, Integer> contents) {
        Snapshot s = d.snapshot(name).description("test snapshot " + name).create();
        expected.put(name, contents);
        check(d.name());
        return s;
    }

    @Test
    void revertGivesTheSnapshotsContentEveryTimeAndLaterSnapshotsStayIntact() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        bed.write(dom, "vda", Z);
        SnapshotChain afterSetup = d.setup(bed.folder(dom) + "/esm").execute();
        assertEquals("base", afterSetup.current().orElseThrow().name());
        expected.put("base", Map.of("vda", Z));
        check(dom);

        bed.write(dom, "vda", A);
        create(d, "s1", Map.of("vda", A));
        bed.write(dom, "vda", B);
        create(d, "s2", Map.of("vda", B));
        bed.write(dom, "vda", C);

        d.revert("s1").execute();
        check(dom);
        assertReads(dom, "vda", A);
        bed.write(dom, "vda", D);

        d.revert("s2").execute();
        check(dom);
        assertReads(dom, "vda", B);

        d.revert("s1").execute();
        check(dom);
        assertReads(dom, "vda", A);

        bed.write(dom, "vda", C);
        Snapshot refreshed = d.refresh().execute();
        assertEquals("s1", refreshed.name());
        check(dom);
        assertReads(dom, "vda", A);

        d.revert("base").execute();
        check(dom);
        assertReads(dom, "vda", Z);
        assertEquals("base", d.chain().current().orElseThrow().name());
    }

    @Test
    void findAndExistsReadOneSnapshotAsTheTreeShowsIt() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        d.snapshot("s1").description("first").create();
        d.snapshot("s2").create();
        SnapshotChain tree = d.chain();
        for (String n : List.of("s1", "s2", "base")) {
            assertEquals(tree.find(n), d.find(n), n);
            assertTrue(d.exists(n), n);
        }
        assertEquals("first", d.find("s1").orElseThrow().description());
        assertEquals(Optional.of("s1"), d.find("s2").orElseThrow().parent());
        assertTrue(d.find("nope").isEmpty());
        assertFalse(d.exists("nope"));
        d.delete("s2").execute();
        assertFalse(d.exists("s2"), "gone after its delete");
        assertEquals(d.chain().get("s1"), d.info("s1").snapshot());
    }

    @Test
    void snapshotsAfterARevertStartABranch() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.write(dom, "vda", A);
        create(d, "s1", Map.of("vda", A));
        bed.write(dom, "vda", B);
        create(d, "s2", Map.of("vda", B));
        d.revert("s1").execute();
        bed.write(dom, "vda", C);
        create(d, "s3", Map.of("vda", C));
        assertEquals(List.of("s2", "s3"), d.chain().children("s1").stream().map(Snapshot::name).toList());
        d.revert("base").execute();
        bed.write(dom, "vda", D);
        Snapshot s4 = create(d, "s4", Map.of("vda", D));
        assertTrue(s4.parent().isEmpty(), "a snapshot taken on the base has no parent");
        assertEquals(List.of("s1", "s4"), d.chain().children("base").stream().map(Snapshot::name).toList());
        d.revert("s3").execute();
        check(dom);
        assertReads(dom, "vda", C);
    }

    @Test
    void allEligibleDisksAreSnapshottedTogetherAndTheCdromIsLeftAlone() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "system.qcow2"), DiskSpec.raw("vdb", "data.img"),
                DiskSpec.cdrom("hdc", "install.iso")));
        DomainSnapshots d = bed.manager().domain(dom);
        var disks = d.disks();
        assertEquals(Set.of(Ineligibility.CDROM, Ineligibility.READONLY),
                disks.stream().filter(x -> x.target().equals("hdc")).findFirst().orElseThrow().ineligible());
        d.setup(bed.folder(dom) + "/esm").execute();
        check(dom);
        bed.write(dom, "vda", A);
        bed.write(dom, "vdb", B);
        Snapshot s1 = create(d, "s1", Map.of("vda", A, "vdb", B));
        assertEquals(List.of("vda", "vdb"), s1.images().stream().map(i -> i.target()).toList());
        bed.write(dom, "vda", C);
        bed.write(dom, "vdb", D);
        create(d, "s2", Map.of("vda", C, "vdb", D));
        d.revert("s1").execute();
        check(dom);
        assertReads(dom, "vda", A);
        assertReads(dom, "vdb", B);
        d.revert("base").execute();
        assertReads(dom, "vda", 0);
        assertReads(dom, "vdb", 0);
        check(dom);
    }

    @Test
    void aLiveSnapshotHoldsWhatTheRunningGuestWroteBeforeIt() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.start(dom);
        try {
            assertEquals(DomainState.RUNNING, d.state());
            bed.write(dom, "vda", A);
            Snapshot s1 = d.snapshot("live1").create();
            expected.put("live1", Map.of("vda", A));
            assertEquals(dev.esm.api.SnapshotState.DISK_SNAPSHOT, s1.state());
            bed.write(dom, "vda", B);
            assertReads(dom, "vda", B);
            check(dom);
            assertThrows(DomainStateException.class, () -> d.revert("live1").execute(),
                    "reverting a running domain needs stopIfRunning()");
            check(dom);
            d.revert("live1").stopIfRunning().execute();
        } finally {
            if (d.state().isActive()) {
                bed.stop(dom);
            }
        }
        assertEquals(DomainState.SHUTOFF, d.state());
        check(dom);
        assertReads(dom, "vda", A);
    }

    @Test
    void withoutSetupTheFirstSnapshotFreezesTheBase() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "plain.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        assertThrows(InvalidOperationException.class, () -> d.revert("base").execute());
        assertThrows(InvalidOperationException.class, () -> d.refresh().execute());
        bed.write(dom, "vda", A);
        create(d, "first", Map.of("vda", A));
        assertTrue(d.chain().base().isPresent());
        bed.write(dom, "vda", B);
        d.revert("base").execute();
        check(dom);
        assertReads(dom, "vda", A);
        assertThrows(InvalidOperationException.class, () -> d.setup(bed.folder(dom) + "/esm").execute(),
                "setup once snapshots exist");
    }

    @Test
    void revertRemovesTheDiscardedActiveLayerAndLeavesNoOrphan() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        create(d, "s1", Map.of("vda", 0));
        Set<String> before = bed.files(bed.folder(dom) + "/esm/disks");
        for (int i = 0; i < 3; i++) {
            bed.write(dom, "vda", A + i);
            d.refresh().execute();
        }
        assertEquals(before.size(), bed.files(bed.folder(dom) + "/esm/disks").size(),
                "refresh replaces the active layer, it does not pile up files");
        check(dom);
    }

    @Test
    void badInputIsRefusedWithATypedErrorAndChangesNothing() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        create(d, "s1", Map.of("vda", 0));
        String xmlBefore = bed.host().domainXml(dom, false);
        Set<String> filesBefore = bed.files(bed.folder(dom));
        for (String bad : List.of("", "base", "a/b", "..", ".hidden", "-rf", "a b", "x\ny", "*", "s?", "[a]",
                "x".repeat(65))) {
            assertThrows(InvalidNameException.class, () -> d.snapshot(bad), "name '" + bad + "'");
        }
        assertThrows(SnapshotExistsException.class, () -> d.snapshot("s1").create());
        assertThrows(SnapshotNotFoundException.class, () -> d.revert("nope").execute());
        assertThrows(SnapshotNotFoundException.class, () -> d.info("nope"));
        assertThrows(InvalidOperationException.class, () -> d.setup(bed.folder(dom) + "/again").execute());
        assertThrows(DomainNotFoundException.class, () -> bed.manager().domain("no-such-domain-" + dom));
        assertEquals(xmlBefore, bed.host().domainXml(dom, false));
        assertEquals(filesBefore, bed.files(bed.folder(dom)));
        check(dom);
    }

    @Test
    void planShowsTheStepsAndChangesNothing() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        Plan setup = d.setup(bed.folder(dom) + "/esm").plan();
        assertEquals(List.of(StepKind.MAKE_DIRECTORY, StepKind.MOVE_IMAGE, StepKind.CREATE_OVERLAY,
                StepKind.DEFINE_DOMAIN, StepKind.REMOVE_FILE), setup.steps().stream().map(s -> s.kind()).toList());
        assertTrue(d.chain().base().isEmpty(), "a dry run froze nothing");
        d.setup(bed.folder(dom) + "/esm").execute();
        Plan create = d.snapshot("s1").plan();
        assertEquals(List.of(StepKind.CREATE_OVERLAY, StepKind.CREATE_SNAPSHOT),
                create.steps().stream().map(s -> s.kind()).toList());
        assertTrue(create.render().contains("s1"));
        assertTrue(d.chain().snapshots().isEmpty(), "a dry run took no snapshot");
        create(d, "s1", Map.of("vda", 0));
        Plan revert = d.revert("base").plan();
        assertTrue(revert.steps().stream().anyMatch(s -> s.kind() == StepKind.REMOVE_FILE));
        assertEquals("s1", d.chain().current().orElseThrow().name());
        check(dom);
    }

    @Test
    void chainLengthCountsTheImagesTheDomainRunsOn() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2"), DiskSpec.raw("vdb", "data.img")));
        DomainSnapshots d = bed.manager().domain(dom);
        assertEquals(1, d.chainLength());
        d.setup(bed.folder(dom) + "/esm").execute();
        assertEquals(2, d.chainLength(), "an overlay on the base");
        d.snapshot("s1").create();
        d.snapshot("s2").create();
        assertEquals(4, d.chainLength());
        d.revert("s1").execute();
        assertEquals(3, d.chainLength());
    }

    @Test
    void aCommandRunsOnlyOnce() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        CreateCommand c = d.snapshot("once");
        c.create();
        assertThrows(IllegalStateException.class, c::create);
        assertThrows(IllegalStateException.class, () -> c.description("late"));
        assertFalse(d.chain().find("once").isEmpty());
    }

    @Test
    void aCommandThatFailedMayRunAgainAndThenOnlyOnce() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        var revert = d.revert("later");
        assertThrows(SnapshotNotFoundException.class, revert::execute);
        d.snapshot("later").create();
        revert.execute(); // planned again: the snapshot exists now
        assertEquals("later", d.chain().current().orElseThrow().name());
        assertThrows(IllegalStateException.class, revert::execute);
    }

    @Test
    void infoReportsEveryFrozenImageWithItsSize() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2"), DiskSpec.raw("vdb", "data.raw")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.write(dom, "vda", A);
        create(d, "s1", Map.of("vda", A, "vdb", 0));
        var info = d.info("s1");
        assertEquals(2, info.images().size());
        assertTrue(info.images().stream().allMatch(i -> i.virtualSize() > 0));
        assertEquals(2, d.info("base").images().size());
    }
}
