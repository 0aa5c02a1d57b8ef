package dev.esm.core.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void aDefinitionIsTheSameWhateverItsLayoutButNotWithAnotherParentOrImage() {
        // libvirt re-parenting a child itself (11.3) leaves the document ESM would redefine, in libvirt's layout.
        String wanted = SnapshotXml.withParent(LIBVIRT, Optional.of("s0"));
        String libvirts = LIBVIRT.replace("<name>s1</name>", "<name>s0</name>");
        assertTrue(SnapshotXml.sameDefinition(libvirts, wanted));
        assertTrue(SnapshotXml.sameDefinition(LIBVIRT, LIBVIRT));
        assertFalse(SnapshotXml.sameDefinition(LIBVIRT, wanted));
        // 9.0 rewrites the child's saved disk sources as well: ESM redefines it.
        assertFalse(SnapshotXml.sameDefinition(libvirts.replace("/srv/esmx/o1.qcow2", "/srv/esmx/o0.qcow2"), wanted));
        // A root (no parent) against a child.
        String root = SnapshotXml.withParent(LIBVIRT, Optional.empty());
        assertTrue(SnapshotXml.sameDefinition(root, SnapshotXml.withParent(root, Optional.empty())));
        assertFalse(SnapshotXml.sameDefinition(root, wanted));
    }

    @Test
    void newImagesGoIntoBothSavedDefinitionsAsLibvirt90LeavesAChildAfterItsParentsMetadataWent() {
        // A running domain's snapshot (libvirt 7.0 on) saves its persistent definition too, as <inactiveDomain>.
        String inactive = """
                  <inactiveDomain type='qemu'>
                    <name>exp1</name>
                    <devices>
                      <disk type='file' device='disk'>
                        <driver name='qemu' type='qcow2'/>
                        <source file='/srv/esmx/o1.qcow2'/>
                        <backingStore type='file'>
                          <format type='qcow2'/>
                          <source file='/srv/esmx/o0.qcow2'/>
                        </backingStore>
                        <target dev='vda' bus='virtio'/>
                      </disk>
                    </devices>
                  </inactiveDomain>
                """;
        String running = LIBVIRT.replace("</domain>\n", "</domain>\n" + inactive);
        String merged = SnapshotXml.withImages(running,
                java.util.Map.of("vda", new DiskImage("vda", "/srv/esmx/o0.qcow2", ImageFormat.QCOW2)));
        assertFalse(merged.contains("o1.qcow2"), merged);
        assertFalse(merged.contains("backingStore"), merged);
        assertEquals(List.of(new DiskImage("vda", "/srv/esmx/o0.qcow2", ImageFormat.QCOW2)),
                SnapshotXml.parse(merged).images());
        // What 9.0 leaves once the parent's metadata is gone: both definitions on the parent's image, no backing store,
        // the new parent, its own layout. The same as ESM's redefinition would make: none is needed.
        String libvirts = running.replace("<name>s1</name>", "<name>s0</name>").replace("/srv/esmx/o1.qcow2",
                "/srv/esmx/o0.qcow2").replaceAll("(?s)<backingStore.*</backingStore>\\s*", "");
        assertTrue(SnapshotXml.sameDefinition(libvirts, SnapshotXml.withParent(merged, Optional.of("s0"))));
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

    @Test
    void aMemoryRequestSavesTheMemoryExternallyAndReadsBackWithItsFile() {
        String req = SnapshotXml.forCreate("m", "", List.of(new DiskImage("vda", "/o.qcow2", ImageFormat.QCOW2)),
                List.of("hdc"), Optional.of("/d/m 1.memory"));
        assertTrue(req.contains("<memory file=\"/d/m 1.memory\" snapshot=\"external\"/>"), req);
        String domain = "<domain><name>x</name><devices><disk type='file' device='disk'><driver type='qcow2'/>"
                + "<source file='/b.qcow2'/><target dev='vda'/></disk></devices></domain>";
        SnapshotDefinition s = SnapshotXml.parse(SnapshotXml.full(req, Optional.empty(), Instant.ofEpochSecond(7),
                SnapshotState.RUNNING, domain));
        assertEquals(Optional.of("/d/m 1.memory"), s.memoryFile());
        assertTrue(s.toApi().hasMemory());
        assertEquals(Optional.empty(), SnapshotXml.parse(LIBVIRT).memoryFile(), "memory snapshot='no' is disk-only");
    }

    @Test
    void aJournalKeepsTheMemoryStepsAsPlanned() {
        var create = new dev.esm.core.plan.Step.CreateSnapshot("m", "<x/>", true, false,
                List.of(new DiskImage("vda", "/o.qcow2", ImageFormat.QCOW2)), Optional.of("/d/m.memory"));
        var restore = new dev.esm.core.plan.Step.RestoreMemory("m", "/d/m.memory",
                java.util.Map.of("vda", new DiskImage("vda", "/n.qcow2", ImageFormat.QCOW2)), true);
        var plan = new dev.esm.core.plan.OperationPlan(dev.esm.api.Operation.REVERT, "d", List.of(create, restore), "m");
        var back = dev.esm.core.plan.JournalXml.read(dev.esm.core.plan.JournalXml.write(dev.esm.core.plan.Journal.of(plan, Instant.EPOCH)));
        assertEquals(List.of(create, restore), back.steps());
    }
}
