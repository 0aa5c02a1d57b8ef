package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotChain;
import dev.esm.api.SnapshotManager;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.model.SnapshotTree;
import dev.esm.core.port.Host;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.SnapshotXml;
import dev.esm.libvirt.testbed.AbstractLibvirtBed;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;
import org.libvirt.LibvirtException;

/**
 * The snapshot-tree index on a real libvirtd: a tree read by a new manager (as a new process reads it: the index from
 * the state store) equals the tree built from every snapshot's XML, after ESM's own operations and after changes
 * made behind ESM's back through a raw connection, as {@code virsh} makes them ({@code snapshot-delete --metadata},
 * a redefinition of the current snapshot with another description, another snapshot made current, a new one). Run
 * on a local daemon ({@link TreeIndexIT}) and over {@code qemu+ssh} ({@link TreeIndexRemoteIT}).
 */
abstract class TreeIndexChecks {
    private static final int REDEFINE = 1;
    private static final int CURRENT = 2;
    private static final int XML_SECURE = 1;
    private static final int DELETE_METADATA_ONLY = 2;

    private AbstractLibvirtBed bed;
    private Connect raw;
    private String dom;

    /** @return a new bed */
    abstract AbstractLibvirtBed newBed();

    /** @return the URI a raw connection to the bed's daemon is opened with */
    abstract String uri(AbstractLibvirtBed bed);

    @AfterEach
    void close() throws LibvirtException {
        if (raw != null) {
            raw.close();
        }
        if (bed != null) {
            bed.close();
        }
    }

    private SnapshotChain fullRead() {
        Host host = bed.host();
        return SnapshotTree.build(DomainXml.parse(host.domainXml(dom, false)),
                host.snapshotXmls(dom).stream().map(SnapshotXml::parse).toList(), host.currentSnapshot(dom));
    }

    /** Reads the tree with a new manager (twice: the first may write the index) and compares it with a full read. */
    private void matches(String context) throws InterruptedException {
        Thread.sleep(SnapshotCache.RACY_MILLIS + 200); // a local index is written only from a settled directory
        SnapshotChain expected = fullRead();
        for (int i = 0; i < 2; i++) {
            SnapshotManager fresh = bed.manager(b -> b);
            SnapshotChain read = fresh.domain(dom).chain();
            assertEquals(expected.snapshots(), read.snapshots(), context);
            assertEquals(expected.current(), read.current(), context);
            assertEquals(expected.base(), read.base(), context);
            assertEquals(expected.render(), read.render(), context);
        }
        String key = DomainXml.parse(bed.host().domainXml(dom, false)).uuid();
        assertTrue(bed.host().stateStore().readTreeIndex(key).isPresent(), context + ": the index was written (the"
                + " second read came from it)");
    }

    private void behindTheBack(Consumer<Domain> change) throws LibvirtException {
        Domain d = raw.domainLookupByName(dom);
        try {
            change.accept(d);
        } finally {
            d.free();
        }
    }

    private static String rawXml(Domain d, String name) {
        try {
            DomainSnapshot s = d.snapshotLookupByName(name);
            try {
                return s.getXMLDesc(XML_SECURE);
            } finally {
                s.free();
            }
        } catch (LibvirtException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void redefine(Domain d, String xml, int flags) {
        try {
            d.snapshotCreateXML(xml, flags).free();
        } catch (LibvirtException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String withDescription(String xml, String text) {
        String cleared = xml.replaceAll("(?s)<description>.*?</description>", "");
        return cleared.replaceFirst("<domainsnapshot>", "<domainsnapshot><description>" + text + "</description>");
    }

    @Test
    void aNewManagersTreeIsTheFullReadAfterOperationsAndChangesBehindEsmsBack() throws Exception {
        bed = newBed();
        raw = new Connect(uri(bed), false);
        dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots esm = bed.manager().domain(dom);
        esm.setup(bed.folder(dom) + "/esm").execute();
        for (String s : List.of("s1", "s2", "s3", "s4")) {
            esm.snapshot(s).description("made as " + s).create();
        }
        matches("after four creates");
        esm.revert("s2").execute();
        esm.snapshot("s5").create();
        matches("after a revert and a create on a branch");
        esm.delete("s3").execute();
        matches("after a delete");

        behindTheBack(d -> {
            try {
                DomainSnapshot s = d.snapshotLookupByName("s4");
                try {
                    s.delete(DELETE_METADATA_ONLY);
                } finally {
                    s.free();
                }
            } catch (LibvirtException e) {
                throw new IllegalStateException(e);
            }
        });
        matches("after snapshot-delete --metadata behind ESM's back");
        String current = bed.host().currentSnapshot(dom).orElseThrow();
        behindTheBack(d -> redefine(d, withDescription(rawXml(d, current), "changed behind ESM"), REDEFINE));
        matches("after the current snapshot redefined behind ESM's back");
        assertEquals("changed behind ESM", bed.manager(b -> b).domain(dom).chain().get(current).description());
        behindTheBack(d -> redefine(d, rawXml(d, "s1"), REDEFINE | CURRENT));
        matches("after another snapshot made current behind ESM's back");
        assertEquals("s1", bed.manager(b -> b).domain(dom).chain().current().orElseThrow().name());
        behindTheBack(d -> redefine(d, rawXml(d, "s2").replace("<name>s2</name>", "<name>s9</name>"), REDEFINE));
        matches("after a snapshot defined behind ESM's back");
        assertTrue(bed.manager(b -> b).domain(dom).exists("s9"));
        whenMarkersAreKept(bed, raw, dom);
    }

    /** Further checks where the host keeps a marker of every change (a local daemon). */
    void whenMarkersAreKept(AbstractLibvirtBed bed, Connect raw, String dom) throws Exception {
    }

    /** A redefinition of a snapshot that is not the current one, behind ESM's back (seen with markers only). */
    void redefineNonCurrent(String name, String description) throws Exception {
        behindTheBack(d -> redefine(d, withDescription(rawXml(d, name), description), REDEFINE));
        matches("after '" + name + "' redefined behind ESM's back");
        assertEquals(description, bed.manager(b -> b).domain(dom).chain().get(name).description());
    }
}
