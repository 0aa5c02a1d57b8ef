package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.errors.EsmException;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import dev.esm.core.fake.FakeHost;
import dev.esm.core.model.SnapshotTree;
import dev.esm.core.port.Host;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.SnapshotXml;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The snapshot-tree index ({@link TreeIndex}) gives exactly what a full read gives: after random operations by ESM and
 * random changes behind its back on the fake host, the tree of the manager that made them, and of a new manager (a new
 * process: nothing in memory, the index from the state store), equals the tree built from every snapshot's XML. With
 * the host's marker (a local daemon) every change is seen; without one (a remote URI) the changes behind ESM's back are
 * those the names and the current snapshot show.
 */
class TreeIndexTest {

    /** @return the tree as a full read gives it: every snapshot's XML, parsed */
    private static SnapshotChain fullRead(Host host, String dom) {
        return SnapshotTree.build(DomainXml.parse(host.domainXml(dom, false)),
                host.snapshotXmls(dom).stream().map(SnapshotXml::parse).toList(), host.currentSnapshot(dom));
    }

    private static void assertSame(SnapshotChain expected, SnapshotChain actual, String context) {
        assertEquals(expected.snapshots(), actual.snapshots(), context);
        assertEquals(expected.base(), actual.base(), context);
        assertEquals(expected.current(), actual.current(), context);
        assertEquals(expected.render(), actual.render(), context);
    }

    @Property(tries = 25)
    void theIndexedTreeIsTheFullReadAfterRandomOperations(@ForAll long seed, @ForAll boolean markers) {
        FakeBed bed = new FakeBed();
        FakeHost host = bed.host();
        host.snapshotStamps(markers);
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
        DomainSnapshots vm = bed.manager().domain(dom);
        vm.setup("/fake/esm").execute();
        Random r = new Random(seed);
        List<String> log = new ArrayList<>();
        int made = 0;
        for (int step = 0; step < 30; step++) {
            List<String> names = host.snapshotXmls(dom).stream().map(x -> SnapshotXml.parse(x).name()).toList();
            int action = r.nextInt(8);
            String pick = names.isEmpty() ? null : names.get(r.nextInt(names.size()));
            try {
                switch (action) {
                    case 0, 1 -> vm.snapshot("s" + made++).create();
                    case 2 -> {
                        if (pick != null) {
                            vm.revert(pick).execute();
                        }
                    }
                    case 3 -> {
                        if (pick != null) {
                            vm.delete(pick).execute();
                        }
                    }
                    case 4 -> {
                        // behind ESM's back: a redefinition with a new description (of the current one without
                        // markers: the one such change that can be seen there)
                        String target = markers ? pick : host.currentSnapshot(dom).orElse(null);
                        if (target != null) {
                            String xml = host.snapshotXml(dom, target).replaceAll("(?s)<description>.*?</description>", "")
                                    .replaceFirst("<domainsnapshot>", "<domainsnapshot><description>changed " + step
                                            + "</description>");
                            host.redefineSnapshot(dom, xml, false);
                        }
                    }
                    case 5 -> {
                        // behind ESM's back: another snapshot made current
                        if (pick != null) {
                            host.redefineSnapshot(dom, host.snapshotXml(dom, pick), true);
                        }
                    }
                    case 6 -> {
                        // behind ESM's back: a snapshot's metadata removed (virsh snapshot-delete --metadata)
                        if (pick != null) {
                            host.deleteSnapshotMetadata(dom, pick);
                        }
                    }
                    default -> { }
                }
                log.add(action + (pick == null ? "" : " " + pick));
            } catch (EsmException refused) {
                log.add(action + " refused: " + refused.getMessage());
            }
            String context = "seed " + seed + ", markers " + markers + ", after " + log;
            SnapshotChain expected = fullRead(host, dom);
            assertSame(expected, vm.chain(), context); // may write the index
            assertSame(expected, vm.chain(), context); // from the index
            assertSame(expected, bed.manager().domain(dom).chain(), context + " (a new manager)");
        }
    }

    /** Counts the host's whole-tree reads. */
    private static Host counting(Host real, List<String> calls) {
        return (Host) Proxy.newProxyInstance(Host.class.getClassLoader(), new Class<?>[] {Host.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("snapshotXmls")) {
                        calls.add("snapshotXmls");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aNewManagerReadsTheTreeFromTheIndexWithoutReadingEverySnapshot() {
        FakeBed bed = new FakeBed();
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
        DomainSnapshots vm = bed.manager().domain(dom);
        vm.setup("/fake/esm").execute();
        for (int i = 0; i < 5; i++) {
            vm.snapshot("s" + i).description("number " + i).create();
        }
        SnapshotChain first = vm.chain(); // the operations removed the index: read in full, written
        List<String> calls = Collections.synchronizedList(new ArrayList<>());
        SnapshotChain again = new CoreSnapshotManager(counting(bed.host(), calls)).domain(dom).chain();
        assertEquals(List.of(), calls, "no whole-tree read");
        assertSame(first, again, "index");
        assertEquals(Optional.of("number 3"), again.find("s3").map(Snapshot::description));
    }

    @Test
    void anOperationRemovesTheIndexAndADamagedIndexIsReadInFull() {
        FakeBed bed = new FakeBed();
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
        DomainSnapshots vm = bed.manager().domain(dom);
        vm.setup("/fake/esm").execute();
        vm.snapshot("s0").create();
        vm.chain();
        String uuid = DomainXml.parse(bed.host().domainXml(dom, false)).uuid();
        String key = uuid.isEmpty() ? dom.replaceAll("[^A-Za-z0-9_.-]", "_") : uuid;
        assertTrue(bed.host().stateStore().readTreeIndex(key).isPresent(), "written by a full read");
        vm.snapshot("s1").create();
        assertTrue(bed.host().stateStore().readTreeIndex(key).isEmpty(), "removed by the operation");
        vm.chain();
        bed.host().stateStore().putTreeIndex(key, "not an index");
        List<String> calls = Collections.synchronizedList(new ArrayList<>());
        SnapshotChain read = new CoreSnapshotManager(counting(bed.host(), calls)).domain(dom).chain();
        assertEquals(List.of("snapshotXmls"), calls);
        assertSame(fullRead(bed.host(), dom), read, "damaged index");
        assertTrue(TreeIndexFormat.decode(bed.host().stateStore().readTreeIndex(key).orElseThrow()).isPresent(),
                "written again");
    }
}
