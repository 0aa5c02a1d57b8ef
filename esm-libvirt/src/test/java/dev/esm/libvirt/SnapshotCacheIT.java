package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.xml.SnapshotXml;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;
import org.libvirt.LibvirtException;
import dev.esm.libvirt.testbed.LibvirtBed;

/**
 * Cached snapshot trees stay true to libvirt: a tree is read (and read again once settled, so that it comes from the
 * cache), then changed behind ESM's back through a separate raw libvirt connection, as {@code virsh} would, and the
 * next read must show the change: a redefinition with another description and the same name, a removed snapshot's
 * metadata (its child re-parented), a new snapshot, another current snapshot; each both right after a settled read
 * and within the same second as the previous change.
 */
class SnapshotCacheIT {
    private static final int REDEFINE = 1;
    private static final int CURRENT = 2;
    private static final int XML_SECURE = 1;
    private static final int DELETE_METADATA_ONLY = 2;

    private LibvirtBed bed;
    private Connect raw;
    private String dom;
    private DomainSnapshots esm;

    @BeforeEach
    void tree() throws Exception {
        bed = new LibvirtBed();
        raw = new Connect(LibvirtBed.URI, false);
        dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        esm = bed.manager().domain(dom);
        esm.setup(bed.folder(dom) + "/esm").execute();
        for (String s : List.of("s1", "s2", "s3")) {
            esm.snapshot(s).create();
        }
    }

    @AfterEach
    void close() throws LibvirtException {
        if (raw != null) {
            raw.close();
        }
        if (bed != null) {
            bed.close();
        }
    }

    /** Reads the tree, waits until the cache may trust what it read, and reads it again (from the cache). */
    private void settle() throws InterruptedException {
        esm.chain();
        bed.host().snapshotXmls(dom);
        Thread.sleep(SnapshotCache.RACY_MILLIS + 200);
        esm.chain();
        bed.host().snapshotXmls(dom);
    }

    /** Runs a call on the domain through the raw connection, freeing what it looked up. */
    private void behindTheBack(Consumer<Domain> change) throws LibvirtException {
        Domain d = raw.domainLookupByName(dom);
        try {
            change.accept(d);
        } finally {
            d.free();
        }
    }

    private String rawXml(Domain d, String name) {
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

    private Optional<Snapshot> viaHost(String name) {
        return bed.host().snapshotXmls(dom).stream().map(SnapshotXml::parse).filter(s -> s.name().equals(name))
                .findFirst().map(s -> s.toApi());
    }

    @Test
    void theLocalDaemonsMetadataFilesAreUsedWhereTheUriNamesThem() {
        if (LibvirtBed.URI.equals("qemu:///system")) {
            assertTrue(bed.libvirtHost().cachesSnapshots(), "qemu:///system as root: the cache is checked against"
                    + " libvirt's files (else every read is full and this test proves less)");
        } else {
            // Another daemon (ESM_TEST_URI): whatever the URI allows; the other tests then check full reads.
            assertEquals(MetadataFiles.forUri(LibvirtBed.URI).isPresent(), bed.libvirtHost().cachesSnapshots());
        }
    }

    @Test
    void aRedefinitionWithTheSameNameIsSeen() throws Exception {
        settle();
        behindTheBack(d -> redefine(d, withDescription(rawXml(d, "s2"), "changed behind ESM"), REDEFINE));
        assertEquals("changed behind ESM", esm.chain().get("s2").description());
        assertEquals("changed behind ESM", esm.find("s2").orElseThrow().description());
        assertEquals("changed behind ESM", viaHost("s2").orElseThrow().description());
        assertTrue(bed.host().snapshotXml(dom, "s2").contains("changed behind ESM"));
        // At once again, within the same second: the directory moved, the file is new.
        behindTheBack(d -> redefine(d, withDescription(rawXml(d, "s2"), "and again"), REDEFINE));
        assertEquals("and again", esm.chain().get("s2").description());
        assertEquals("and again", esm.find("s2").orElseThrow().description());
    }

    @Test
    void removedMetadataIsSeenWithItsChildReparented() throws Exception {
        settle();
        behindTheBack(d -> {
            try {
                DomainSnapshot s = d.snapshotLookupByName("s2");
                try {
                    s.delete(DELETE_METADATA_ONLY);
                } finally {
                    s.free();
                }
            } catch (LibvirtException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(esm.chain().find("s2").isEmpty());
        assertFalse(esm.find("s2").isPresent());
        assertTrue(viaHost("s2").isEmpty());
        assertEquals(Optional.of("s1"), esm.chain().get("s3").parent(), "s3 re-parented onto s1 by libvirt");
    }

    @Test
    void aNewSnapshotAndAnotherCurrentSnapshotAreSeen() throws Exception {
        settle();
        behindTheBack(d -> redefine(d, rawXml(d, "s3").replace("<name>s3</name>", "<name>extra</name>")
                .replaceFirst("(?s)<parent>\\s*<name>s2</name>", "<parent><name>s3</name>"), REDEFINE));
        assertEquals(Optional.of("s3"), esm.chain().get("extra").parent());
        assertTrue(viaHost("extra").isPresent());
        assertEquals("s3", esm.chain().current().orElseThrow().name(), "a redefinition alone keeps the current one");
        settle();
        behindTheBack(d -> redefine(d, rawXml(d, "s1"), REDEFINE | CURRENT));
        assertEquals("s1", esm.chain().current().orElseThrow().name());
        assertEquals(Optional.of("s1"), bed.host().currentSnapshot(dom));
        // Its children are unchanged, and the tree still has every snapshot.
        assertEquals(java.util.Set.of("s1", "s2", "s3", "extra"),
                esm.chain().snapshots().stream().map(Snapshot::name).collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void eachKindOfChangeRightAfterTheLastIsSeenToo() throws Exception {
        esm.chain(); // not settled: changes follow within the second
        behindTheBack(d -> redefine(d, withDescription(rawXml(d, "s1"), "one"), REDEFINE));
        assertEquals("one", esm.chain().get("s1").description());
        behindTheBack(d -> redefine(d, withDescription(rawXml(d, "s1"), "two"), REDEFINE));
        assertEquals("two", esm.chain().get("s1").description());
        behindTheBack(d -> redefine(d, rawXml(d, "s2"), REDEFINE | CURRENT));
        assertEquals("s2", esm.chain().current().orElseThrow().name());
        behindTheBack(d -> redefine(d, rawXml(d, "s3").replace("<name>s3</name>", "<name>late</name>"), REDEFINE));
        assertTrue(esm.chain().find("late").isPresent());
    }
}
