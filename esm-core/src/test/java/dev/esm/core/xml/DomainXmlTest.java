package dev.esm.core.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.Ineligibility;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.EsmRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DomainXmlTest {
    static final String XML = """
            <domain type='qemu'>
              <name>web</name>
              <uuid>6d3c1c5e-0000-4000-8000-000000000001</uuid>
              <memory unit='KiB'>65536</memory>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2' cache='none'/>
                  <source file='/img/sys.qcow2' index='3'/>
                  <backingStore type='file'><format type='raw'/><source file='/img/old.raw'/></backingStore>
                  <target dev='vda' bus='virtio'/>
                  <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>
                </disk>
                <disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='/dev/vg/data'/><target dev='vdb' bus='virtio'/></disk>
                <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/iso/x.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>
                <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/img/shared.img'/><target dev='vdc' bus='virtio'/><shareable/></disk>
                <disk type='file' device='disk' snapshot='no'><driver name='qemu' type='qcow2'/><source file='/img/scratch.qcow2'/><target dev='vdd' bus='virtio'/></disk>
                <disk type='network' device='disk'><driver name='qemu' type='raw'/><source protocol='rbd' name='pool/img'/><target dev='vde' bus='virtio'/></disk>
                <disk type='file' device='floppy'><target dev='fda' bus='fdc'/></disk>
              </devices>
            </domain>
            """;

    @Test
    void eligibilityFollowsTheSemantics() {
        DomainDefinition def = DomainXml.parse(XML);
        assertEquals("web", def.name());
        assertEquals(List.of("vda", "vdb"), def.eligibleDisks().stream().map(d -> d.target()).toList());
        assertEquals(Set.of(Ineligibility.CDROM, Ineligibility.READONLY), def.disk("hdc").orElseThrow().ineligibility());
        assertEquals(Set.of(Ineligibility.SHAREABLE), def.disk("vdc").orElseThrow().ineligibility());
        assertEquals(Set.of(Ineligibility.SNAPSHOT_NO), def.disk("vdd").orElseThrow().ineligibility());
        assertEquals(Set.of(Ineligibility.UNSUPPORTED_SOURCE), def.disk("vde").orElseThrow().ineligibility());
        assertEquals(Set.of(Ineligibility.FLOPPY, Ineligibility.NO_SOURCE), def.disk("fda").orElseThrow().ineligibility());
        assertTrue(def.disk("vdb").orElseThrow().isBlock());
        assertTrue(def.record().isEmpty());
    }

    @Test
    void rewritePointsDisksAtNewFilesAndKeepsEverythingElse() {
        String out = DomainXml.rewrite(XML, Map.of("vda", new DiskImage("vda", "/new/sys o.qcow2", ImageFormat.QCOW2),
                "vdb", new DiskImage("vdb", "/new/data.qcow2", ImageFormat.QCOW2)), Optional.empty());
        DomainDefinition def = DomainXml.parse(out);
        assertEquals(Optional.of("/new/sys o.qcow2"), def.disk("vda").orElseThrow().source());
        assertEquals("file", def.disk("vdb").orElseThrow().type(), "an overlay on a block device is a file");
        assertEquals(Optional.of("qcow2"), def.disk("vdb").orElseThrow().driverType());
        assertFalse(out.contains("backingStore"), "libvirt reads the new chain from the qcow2 header");
        assertTrue(out.contains("cache=\"none\""), "other driver attributes are kept");
        assertTrue(out.contains("slot=\"0x04\""), "addresses are kept");
        assertEquals(Optional.of("/iso/x.iso"), def.disk("hdc").orElseThrow().source());
    }

    @Test
    void esmRecordSurvivesARoundTripInTheMetadata() {
        EsmRecord rec = new EsmRecord(Optional.of("/srv/web/disks"),
                List.of(new DiskImage("vda", "/srv/web/disks/sys.base", ImageFormat.QCOW2),
                        new DiskImage("vdb", "/dev/vg/data", ImageFormat.RAW)),
                Instant.parse("2026-11-25T20:00:00Z"));
        String once = DomainXml.rewrite(XML, Map.of(), Optional.of(rec));
        assertEquals(Optional.of(rec), DomainXml.parse(once).record());
        String twice = DomainXml.rewrite(once, Map.of(), Optional.of(rec));
        assertEquals(1, twice.split("esm:record", -1).length / 2, "one record, replaced, not added");
        assertEquals(Optional.of(rec), DomainXml.parse(twice).record());
    }

    @Test
    void documentTypeDeclarationsAreRefused() {
        String evil = "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain><name>&x;</name></domain>";
        assertThrows(XmlException.class, () -> DomainXml.parse(evil));
    }

    @Test
    void aRewriteKeepsWhatTheSourceSaysOfHowTheDiskIsUsedAndDropsWhatDescribedTheOldFile() {
        String xml = "<domain><name>x</name><devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                + "<source file='/nfs/a.img' startupPolicy='optional' index='2'><seclabel model='dac' relabel='no'/>"
                + "<slices><slice type='storage' offset='0' size='512'/></slices></source>"
                + "<target dev='vda' bus='virtio'/></disk></devices></domain>";
        var disk = DomainXml.parse(xml).disk("vda").orElseThrow();
        assertEquals(Set.of("seclabel", "slices"), disk.details());
        assertTrue(disk.sliced());
        assertFalse(disk.encrypted());
        String out = DomainXml.rewrite(xml, Map.of("vda", new DiskImage("vda", "/nfs/o.qcow2", ImageFormat.QCOW2)),
                Optional.empty());
        var source = Xml.path(Xml.parse(out).getDocumentElement(), "devices", "disk", "source").get(0);
        assertEquals("/nfs/o.qcow2", source.getAttribute("file"));
        assertEquals("optional", source.getAttribute("startupPolicy"));
        assertFalse(source.hasAttribute("index"), "libvirt numbers the new chain itself");
        assertEquals("no", Xml.child(source, "seclabel").orElseThrow().getAttribute("relabel"));
        assertTrue(Xml.child(source, "slices").isEmpty(), "a slice of the old file is no slice of the overlay");
    }
    private static Optional<String> tpmOf(String devices) {
        return DomainXml.parse("<domain><name>t</name><uuid>6d3c1c5e-0000-4000-8000-000000000009</uuid><devices>"
                + devices + "</devices></domain>").tpmState();
    }

    @Test
    void anEmulatedTpmsStateFileIsFoundWhereLibvirtKeepsItAndAPassthroughTpmHasNone() {
        String dir = DomainXml.SWTPM_STATE_DIR + "/6d3c1c5e-0000-4000-8000-000000000009/";
        assertEquals(Optional.of(dir + "tpm2/tpm2-00.permall"),
                tpmOf("<tpm model='tpm-tis'><backend type='emulator' version='2.0'/></tpm>"));
        assertEquals(Optional.of(dir + "tpm1.2/tpm-00.permall"),
                tpmOf("<tpm model='tpm-tis'><backend type='emulator' version='1.2'/></tpm>"));
        assertEquals(Optional.of(dir + "tpm2/tpm2-00.permall"), tpmOf("<tpm model='tpm-crb'><backend type='emulator'/></tpm>"),
                "libvirt 9.0's default for a CRB TPM: 2.0");
        assertEquals(Optional.of("/srv/tpm/web/tpm2-00.permall"), tpmOf("<tpm model='tpm-crb'><backend type='emulator'"
                + " version='2.0'><source type='dir' path='/srv/tpm/web'/></backend></tpm>"), "a folder of its own");
        assertEquals(Optional.of("/srv/tpm/web.state"), tpmOf("<tpm model='tpm-crb'><backend type='emulator'"
                + " version='2.0'><source type='file' path='/srv/tpm/web.state'/></backend></tpm>"), "a file of its own");
        assertEquals(Optional.empty(), tpmOf("<tpm model='tpm-tis'><backend type='passthrough'><device"
                + " path='/dev/tpm0'/></backend></tpm>"), "the host's TPM: no state to keep");
        assertEquals(Optional.empty(), tpmOf("<tpm model='tpm-tis'><backend type='external'><source type='unix'"
                + " mode='connect' path='/tmp/swtpm.sock'/></backend></tpm>"), "someone else's swtpm");
        assertEquals(Optional.empty(), tpmOf(""));
        assertEquals(Optional.empty(), DomainXml.parse(XML).tpmState());
    }

    @Test
    void aRunningGuestsCpuIsItsModelWithWhatItRunsOnAndAPassthroughCpuOrNoneIsNotCompared() {
        String os = "<os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>";
        String cpu = "<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model>"
                + "<feature policy='require' name='fsrm'/></cpu>";
        var guest = DomainXml.guestCpu("<domain type='qemu'><name>v</name>" + os + cpu + "</domain>").orElseThrow();
        assertEquals("x86_64", guest.arch());
        assertEquals("pc-i440fx-7.2", guest.machine());
        assertEquals("qemu", guest.virtType());
        assertTrue(guest.xml().contains("fsrm") && guest.xml().startsWith("<cpu"), guest.xml());
        assertEquals(Optional.empty(), DomainXml.guestCpu("<domain type='kvm'><name>v</name>" + os
                + "<cpu mode='host-passthrough'/></domain>"));
        assertEquals(Optional.empty(), DomainXml.guestCpu("<domain type='kvm'><name>v</name>" + os + "</domain>"));
    }
}
