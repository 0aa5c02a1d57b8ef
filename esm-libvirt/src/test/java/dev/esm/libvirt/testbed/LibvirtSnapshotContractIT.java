package dev.esm.libvirt.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DeleteCommand;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.core.contract.Bed;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.MergeContract;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The snapshot contract against the real libvirtd, plus what only a real libvirt can show. */
class LibvirtSnapshotContractIT extends MergeContract {

    @Override
    protected Bed openBed() {
        return new LibvirtBed();
    }

    /** @return name -> parent ("" for none) as virsh prints it */
    private static Map<String, String> virshTree(String domain) {
        String out = LibvirtBed.run(List.of("virsh", "-c", LibvirtBed.URI, "snapshot-list", domain, "--parent"));
        Map<String, String> tree = new TreeMap<>();
        for (String line : out.split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length < 4 || cols[0].equals("Name") || cols[0].startsWith("-")) {
                continue;
            }
            // Name, date, time, zone, state, [parent]
            tree.put(cols[0], cols.length > 5 ? cols[5] : "");
        }
        return tree;
    }

    private static String virshCurrent(String domain) {
        try {
            return LibvirtBed.run(List.of("virsh", "-c", LibvirtBed.URI, "snapshot-current", domain, "--name")).trim();
        } catch (IllegalStateException e) {
            return "";
        }
    }

    private void assertVirshAgrees(DomainSnapshots d) {
        Map<String, String> esm = new TreeMap<>();
        d.chain().snapshots().forEach(s -> esm.put(s.name(), s.parent().orElse("")));
        assertEquals(esm, virshTree(d.name()), "virsh snapshot-list --parent");
        assertEquals(d.chain().current().filter(s -> !s.isBase()).map(s -> s.name()).orElse(""),
                virshCurrent(d.name()), "virsh snapshot-current");
    }

    @Test
    void virshSeesTheSameTreeAndCurrentSnapshotAfterEveryOperation() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        assertVirshAgrees(d);
        d.snapshot("s1").create();
        assertVirshAgrees(d);
        d.snapshot("s2").create();
        assertVirshAgrees(d);
        d.revert("s1").execute();
        assertVirshAgrees(d);
        d.snapshot("s3").create();
        assertVirshAgrees(d);
        d.revert("base").execute();
        assertVirshAgrees(d);
        d.snapshot("s4").create();
        assertVirshAgrees(d);
        d.refresh().execute();
        assertVirshAgrees(d);
    }

    @Test
    void cancellingALargeOfflineMergeHalfWayKeepsEverySurvivingSnapshotReadable() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "big.qcow2").size(1L << 30)));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.write(dom, "vda", A);
        create(d, "s1", Map.of("vda", A));
        ((LibvirtBed) bed).writeLarge(dom, "vda", B, 512L << 20);
        create(d, "s2", Map.of("vda", B));
        List<Double> seen = new java.util.ArrayList<>();
        DeleteCommand delete = d.delete("s1");
        delete.progress(p -> {
            seen.add(p.fraction());
            if (p.fraction() > 0.0) {
                delete.cancel();
            }
        });
        assertThrows(OperationCancelledException.class, delete::execute, "512 MiB take longer than one progress step");
        assertTrue(seen.stream().anyMatch(f -> f < 1.0), "cancelled half-way: " + seen);
        expected.remove("s1");
        assertTrue(d.chain().find("s1").isEmpty(), "a snapshot whose image was merged into is removed");
        check(dom);
        d.revert("s2").execute();
        assertReads(dom, "vda", B);
        check(dom);
    }

    @Test
    void namesAndFoldersWithSpacesWork() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "my disk.v2.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/snap shots").execute();
        bed.write(dom, "vda", A);
        create(d, "s1", Map.of("vda", A));
        assertEquals(bed.folder(dom) + "/snap shots/disks/my disk.v2.base",
                d.chain().base().orElseThrow().images().get(0).path());
        bed.write(dom, "vda", B);
        d.revert("s1").execute();
        check(dom);
        assertReads(dom, "vda", A);
    }
}
