package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageFormat;
import dev.esm.api.errors.EsmException;
import dev.esm.api.errors.StorageException;
import dev.esm.core.contract.Bed.DiskSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.testbed.LibvirtBed;

/**
 * The bad-input catalog (docs/guide/10-troubleshooting.md) entries that need a real host: file systems that are full,
 * too small or not writable (small tmpfs mounts), missing and broken images, and a guest-written image header.
 * Each checks the typed exception and that nothing changed.
 */
class BadInputIT {
    LibvirtBed bed;
    Path mount;

    @BeforeEach
    void open() {
        bed = new LibvirtBed();
    }

    @AfterEach
    void close() throws Exception {
        bed.close();
        if (mount != null) {
            new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor();
            Files.deleteIfExists(mount);
        }
    }

    /** A tmpfs of {@code mib} MiB that QEMU can reach. */
    private Path tmpfs(int mib) throws Exception {
        mount = Files.createTempDirectory(Path.of("/var/tmp"), "esm-tmpfs-");
        LibvirtBed.run(List.of("mount", "-t", "tmpfs", "-o", "size=" + mib + "m,mode=0755", "tmpfs", mount.toString()));
        return mount;
    }

    private void fill(Path fs) {
        try {
            LibvirtBed.run(List.of("dd", "if=/dev/zero", "of=" + fs.resolve("filler"), "bs=1M", "status=none"));
        } catch (IllegalStateException expectedNoSpaceLeft) {
            // dd stops when the file system is full
        }
    }

    private void assertUnchanged(String dom, String xml, Set<String> files, String dir) {
        assertEquals(xml, bed.host().domainXml(dom, false), "the domain definition is unchanged");
        assertEquals(files, bed.files(dir), "no file was added or removed");
    }

    @Test
    void setupIntoAFolderThatCannotBeMadeFailsAndChangesNothing() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        String xml = bed.host().domainXml(dom, false);
        Set<String> files = bed.files(bed.folder(dom));
        var e = assertThrows(StorageException.class, () -> d.setup("/etc/hostname/esm").execute());
        assertTrue(e.getMessage().contains("/etc/hostname"), e.getMessage());
        assertUnchanged(dom, xml, files, bed.folder(dom));
    }

    @Test
    void setupIntoAFileSystemTooSmallForTheCopyKeepsTheOriginal() throws Exception {
        Path small = tmpfs(8);
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2").size(64L << 20)));
        bed.writeLarge(dom, "vda", 0x41, 20L << 20);
        DomainSnapshots d = bed.manager().domain(dom);
        String xml = bed.host().domainXml(dom, false);
        Set<String> files = bed.files(bed.folder(dom));
        assertThrows(StorageException.class, () -> d.setup(small.toString()).execute());
        assertUnchanged(dom, xml, files, bed.folder(dom));
        assertEquals(Set.of(), bed.files(small.toString()), "no partial copy is left");
        assertTrue(bed.reads(dom, "vda", 0x41));
    }

    @Test
    void createAndRevertOnAFullFileSystemFailAndChangeNothing() throws Exception {
        Path fs = tmpfs(16);
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(fs.toString()).execute();
        d.snapshot("s1").create();
        fill(fs);
        String xml = bed.host().domainXml(dom, false);
        Set<String> files = bed.files(fs.toString());
        String tree = d.chain().render();
        assertThrows(StorageException.class, () -> d.snapshot("s2").create());
        assertUnchanged(dom, xml, files, fs.toString());
        assertThrows(StorageException.class, () -> d.revert("s1").execute());
        assertUnchanged(dom, xml, files, fs.toString());
        assertEquals(tree, d.chain().render());
        Files.delete(fs.resolve("filler"));
        assertTrue(d.verify().isEmpty(), d.verify().toString());
    }

    @Test
    void aMergeIntoAFullFileSystemIsReportedAsAFailureAndKeepsTheSurvivorsReadable() throws Exception {
        Path fs = tmpfs(48);
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2").size(64L << 20)));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(fs.toString()).execute();
        bed.write(dom, "vda", 0x41);
        d.snapshot("s1").create();
        bed.writeLarge(dom, "vda", 0x42, 24L << 20);
        d.snapshot("s2").create();
        fill(fs);
        EsmException e = assertThrows(EsmException.class, () -> d.delete("s1").execute(),
                "a merge that ran out of space is never reported as a success");
        assertTrue(e instanceof StorageException, e.toString());
        Files.delete(fs.resolve("filler"));
        assertTrue(d.chain().find("s2").isPresent());
        assertTrue(bed.imageReads(d.chain().get("s2").images().get(0), 0x42), "s2 reads its own content");
        assertTrue(d.verify().isEmpty(), d.verify().toString());
    }

    @Test
    void aDiskWhoseImageIsMissingIsRefusedAndNothingChanges() throws Exception {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        Files.delete(Path.of(bed.folder(dom), "disk.qcow2"));
        DomainSnapshots d = bed.manager().domain(dom);
        String xml = bed.host().domainXml(dom, false);
        var e = assertThrows(StorageException.class, () -> d.snapshot("s1").create());
        assertTrue(e.getMessage().contains("disk.qcow2"), e.getMessage());
        assertUnchanged(dom, xml, Set.of(), bed.folder(dom));
        assertTrue(d.chain().snapshots().isEmpty());
    }

    @Test
    void aBrokenChainIsReportedByVerify() throws Exception {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        d.snapshot("s1").create();
        d.snapshot("s2").create();
        Files.delete(Path.of(d.chain().get("s1").images().get(0).path()));
        List<String> problems = d.verify();
        assertFalse(problems.isEmpty());
        assertTrue(problems.get(0).contains("missing"), problems.toString());
    }

    @Test
    void anExistingFileIsNeverOverwrittenByANewOverlay() throws Exception {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        String planned = d.snapshot("s1").plan().steps().get(0).description().replaceAll("create overlay (.*) for vda.*", "$1");
        Files.writeString(Path.of(planned), "precious");
        d.snapshot("s1").create();
        assertEquals("precious", Files.readString(Path.of(planned)));
        Files.delete(Path.of(planned));
        assertTrue(d.verify().isEmpty(), d.verify().toString());
    }

    @Test
    void aGuestWrittenImageHeaderOnARawBaseNeverMakesTheHostProbeIt() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2"), DiskSpec.raw("vdb", "data.img")));
        DomainSnapshots d = bed.manager().domain(dom);
        String raw = Path.of(bed.folder(dom), "data.img").toString();
        // What a guest can write into its raw disk: a qcow2 header whose backing file is a host file.
        LibvirtBed.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", "/etc/shadow",
                bed.folder(dom) + "/evil.qcow2", "1M"));
        LibvirtBed.run(List.of("dd", "if=" + bed.folder(dom) + "/evil.qcow2", "of=" + raw, "bs=64k", "count=1",
                "conv=notrunc", "status=none"));
        d.setup(bed.folder(dom) + "/esm").execute();
        d.snapshot("s1").create();
        var base = d.chain().base().orElseThrow().image("vdb").orElseThrow();
        assertEquals(ImageFormat.RAW, base.format());
        var overlay = bed.host().storage().info(d.chain().get("s1").images().get(1).path(), ImageFormat.QCOW2);
        assertEquals(Optional.of(ImageFormat.RAW), overlay.backingFormat(), "the backing format is recorded: no probing");
        bed.start(dom);
        String live = bed.host().domainXml(dom, true);
        bed.stop(dom);
        assertFalse(live.contains("/etc/shadow"), "QEMU never opened the file the guest named");
        assertTrue(d.verify().isEmpty(), d.verify().toString());
    }
}
