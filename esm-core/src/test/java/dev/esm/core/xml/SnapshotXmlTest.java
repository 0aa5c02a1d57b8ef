package dev.esm.core.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.SnapshotState;
import dev.esm.core.model.SnapshotDefinition;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SnapshotXmlTest {
    /** As libvirt 9.0 returns it (trimmed). */
    static final String LIBVIRT = """
            <domainsnapshot>
              <name>s2</name>
              <description>after the upgrade</description>
              <state>shutoff</state>
              <parent>
                <name>s1</name>
              </parent>
              <creationTime>1795639478</creationTime>
              <memory snapshot='no'/>
              <disks>
                <disk name='vda' snapshot='external' type='file'>
                  <driver type='qcow2'/>
                  <source file='/srv/esmx/o2.qcow2'/>
                </disk>
                <disk name='hdc' snapshot='no'/>
              </disks>
              <domain type='qemu'>
                <name>exp1</name>
                <devices>
                  <disk type='file' device='disk'>
                    <driver name='qemu' type='qcow2'/>
                    <source file='/srv/esmx/o1.qcow2'/>
                    <target dev='vda' bus='virtio'/>
                  </disk>
                  <disk type='file' device='cdrom'>
                    <driver name='qemu' type='raw'/>
                    <source file='/iso/x.iso'/>
                    <target dev='hdc' bus='ide'/>
                    <readonly/>
                  </disk>
                </devices>
              </domain>
            </domainsnapshot>
            """;

    @Test
    void theFrozenImagesAreTheDiskSourcesOfTheSavedDefinition() {
        SnapshotDefinition s = SnapshotXml.parse(LIBVIRT);
        assertEquals("s2", s.name());
        assertEquals(Optional.of("s1"), s.parent());
        assertEquals(Instant.ofEpochSecond(1795639478), s.creationTime());
        assertEquals("after the upgrade", s.description());
        assertEquals(SnapshotState.SHUTOFF, s.state());
        assertEquals(List.of(new DiskImage("vda", "/srv/esmx/o1.qcow2", ImageFormat.QCOW2)), s.images());
    }

    @Test
    void aCreateRequestNamesEveryOverlayAndExcludesTheOtherDisks() {
        String xml = SnapshotXml.forCreate("s3", "", List.of(new DiskImage("vda", "/d/a b.qcow2", ImageFormat.QCOW2)),
                List.of("hdc"));
        assertTrue(xml.contains("<disk name=\"vda\" snapshot=\"external\" type=\"file\">"), xml);
        assertTrue(xml.contains("<source file=\"/d/a b.qcow2\"/>"), xml);
        assertTrue(xml.contains("<disk name=\"hdc\" snapshot=\"no\"/>"), xml);
        assertTrue(!xml.contains("description"), "no empty description");
    }

    @Test
    void parentCanBeReplacedOrRemoved() {
        assertEquals(Optional.of("s0"), SnapshotXml.parse(SnapshotXml.withParent(LIBVIRT, Optional.of("s0"))).parent());
        assertEquals(Optional.empty(), SnapshotXml.parse(SnapshotXml.withParent(LIBVIRT, Optional.empty())).parent());
    }

    @Test
    void aFullDocumentReadsBackAsTaken() {
        String req = SnapshotXml.forCreate("n", "d", List.of(new DiskImage("vda", "/o.qcow2", ImageFormat.QCOW2)),
                List.of());
        String domain = "<domain><name>x</name><devices><disk type='file' device='disk'><driver type='raw'/>"
                + "<source file='/b.raw'/><target dev='vda'/></disk></devices></domain>";
        SnapshotDefinition s = SnapshotXml.parse(SnapshotXml.full(req, Optional.of("p"), Instant.ofEpochSecond(7),
                SnapshotState.DISK_SNAPSHOT, domain));
        assertEquals(Optional.of("p"), s.parent());
        assertEquals(SnapshotState.DISK_SNAPSHOT, s.state());
        assertEquals(List.of(new DiskImage("vda", "/b.raw", ImageFormat.RAW)), s.images());
    }
}
