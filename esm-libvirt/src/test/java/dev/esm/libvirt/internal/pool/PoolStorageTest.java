package dev.esm.libvirt.internal.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.OverlayLayout;
import dev.esm.api.errors.StorageException;
import dev.esm.core.port.Host;
import dev.esm.core.port.Storage;
import dev.esm.libvirt.internal.image.Qcow2;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The storage-API image store on libvirt's storage API in memory: copies (owner-only, verified, never over a file),
 * overlays (uploaded in small folders, made by libvirt in large ones, exclusive), rebase, listing and removal.
 */
class PoolStorageTest {
    private static final long GIB = 1L << 30;
    private final InMemoryPools host = new InMemoryPools();
    private final PoolStorage storage = new PoolStorage(host.conn, host(), List::of, "/var/lib/libvirt/esm",
            OverlayLayout.SUBCLUSTERS, OverlayLayout.SUBCLUSTERS);

    private static Host host() {
        Host h = mock(Host.class);
        when(h.uri()).thenReturn("qemu+ssh://host/system");
        return h;
    }

    @AfterEach
    void close() {
        storage.close();
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private void qcow2(String path, long size) throws IOException {
        host.file(path, Qcow2.overlayImage("/base/of/" + Volumes.fileName(path), ImageFormat.RAW, size,
                OverlayLayout.CLASSIC));
    }

    @Test
    void placeCopiesTheBytesUnchangedIntoANewOwnerOnlyFile() {
        byte[] data = random(70_000);
        host.file("/vm/VARS.fd", data);
        host.folder("/vm/esm");
        storage.place("/vm/VARS.fd", "/vm/esm/VARS.s1.fd");
        InMemoryPools.Vol copy = host.volume("/vm/esm/VARS.s1.fd").orElseThrow();
        assertArrayEquals(data, copy.data);
        assertEquals("<mode>0600</mode>", copy.permissions);
    }

    @Test
    void placeNeverOverwritesAFile() {
        host.file("/vm/a", random(10));
        host.file("/vm/b", new byte[] {7});
        StorageException e = assertThrows(StorageException.class, () -> storage.place("/vm/a", "/vm/b"));
        assertTrue(e.getMessage().contains("exists already"), e.getMessage());
        assertArrayEquals(new byte[] {7}, host.volume("/vm/b").orElseThrow().data);
    }

    @Test
    void copyReplacesAFileKeepingItsOwnerGroupAndMode() {
        host.file("/tpm/tpm2-00.permall", random(5));
        host.volume("/tpm/tpm2-00.permall").orElseThrow().permissions =
                "<mode>0600</mode><owner>112</owner><group>117</group>";
        byte[] saved = random(9000);
        host.file("/vm/esm/tpm.s1", saved);
        storage.copy("/vm/esm/tpm.s1", "/tpm/tpm2-00.permall");
        InMemoryPools.Vol back = host.volume("/tpm/tpm2-00.permall").orElseThrow();
        assertArrayEquals(saved, back.data, "the new content, of its own length");
        assertEquals("<mode>0600</mode><owner>112</owner><group>117</group>", back.permissions);
    }

    @Test
    void aCopyThatArrivesDamagedIsRemovedAndTheOriginalLeftAlone() {
        byte[] data = random(5000);
        host.file("/vm/a", data);
        host.damageUploads = true;
        StorageException e = assertThrows(StorageException.class, () -> storage.place("/vm/a", "/vm/b"));
        assertTrue(e.getMessage().contains("does not match the original"), e.getMessage());
        assertEquals(Optional.empty(), host.volume("/vm/b"));
        assertArrayEquals(data, host.volume("/vm/a").orElseThrow().data);
    }

    @Test
    void copyOfAMissingFileFailsAndLeavesTheTarget() {
        host.file("/vm/b", new byte[] {7});
        assertThrows(StorageException.class, () -> storage.copy("/vm/none", "/vm/b"));
        assertTrue(host.volume("/vm/b").isPresent());
    }

    @Test
    void anOverlayInASmallFolderIsAnUploadedQcow2OverItsBacking() throws IOException {
        qcow2("/vm/base.qcow2", GIB);
        storage.createOverlay("/vm/top.qcow2", new DiskImage("vda", "/vm/base.qcow2", ImageFormat.QCOW2));
        InMemoryPools.Vol top = host.volume("/vm/top.qcow2").orElseThrow();
        assertEquals("<mode>0600</mode>", top.permissions);
        assertTrue(host.uploads.contains("top.qcow2@0"));
        assertEquals(Optional.of(new DiskImage("vda", "/vm/base.qcow2", ImageFormat.QCOW2)).map(DiskImage::path),
                storage.backing("/vm/top.qcow2", ImageFormat.QCOW2).map(DiskImage::path));
        assertEquals(GIB, storage.info("/vm/top.qcow2", ImageFormat.QCOW2).virtualSize());
    }

    @Test
    void anOverlayInALargeFolderIsMadeByLibvirtWithItsBackingAndFormat() throws IOException {
        qcow2("/vm/base.qcow2", GIB);
        storage.uploadLimit(0);
        storage.createOverlay("/vm/top.qcow2", new DiskImage("vda", "/vm/base.qcow2", ImageFormat.QCOW2));
        InMemoryPools.Vol top = host.volume("/vm/top.qcow2").orElseThrow();
        assertEquals("qcow2", top.format);
        assertEquals("/vm/base.qcow2", top.backing);
        assertEquals(GIB, top.capacity, "the base's virtual size");
        assertFalse(host.uploads.contains("top.qcow2@0"), "no upload: no rescan of the folder");
        assertTrue(top.xml.contains("<extended_l2/>") && top.xml.contains("<clusterSize unit='KiB'>128</clusterSize>"),
                "in the storage's layout, as an upload would be: " + top.xml);
    }

    @Test
    void anOverlayIsNeverMadeOverAnExistingFile() throws IOException {
        qcow2("/vm/base.qcow2", GIB);
        host.file("/vm/top.qcow2", new byte[] {1});
        StorageException e = assertThrows(StorageException.class, () -> storage.createOverlay("/vm/top.qcow2",
                new DiskImage("vda", "/vm/base.qcow2", ImageFormat.QCOW2)));
        assertTrue(e.getMessage().contains("exists already"), e.getMessage());
        assertArrayEquals(new byte[] {1}, host.volume("/vm/top.qcow2").orElseThrow().data);
    }

    @Test
    void rebasePointsTheHeaderAtTheNewBacking() throws IOException {
        qcow2("/vm/top.qcow2", GIB);
        storage.rebase("/vm/top.qcow2", new DiskImage("vda", "/vm/new-base.img", ImageFormat.RAW));
        Optional<Storage.BackingReference> ref = storage.backingReference("/vm/top.qcow2", ImageFormat.QCOW2);
        assertEquals("/vm/new-base.img", ref.orElseThrow().name());
        assertEquals(Optional.of("raw"), ref.get().format());
    }

    @Test
    void listGivesTheFolderFilesSortedAndNothingForAMissingFolder() {
        host.file("/vm/b.qcow2", new byte[] {1});
        host.file("/vm/a.qcow2", new byte[] {1});
        host.file("/other/c.qcow2", new byte[] {1});
        assertEquals(List.of("/vm/a.qcow2", "/vm/b.qcow2"), storage.list("/vm"));
        assertEquals(List.of(), storage.list("/none"));
    }

    @Test
    void removeDeletesTheFileAndAMissingFileIsNoFailure() {
        host.file("/vm/a.qcow2", new byte[] {1});
        storage.remove("/vm/a.qcow2");
        assertFalse(storage.exists("/vm/a.qcow2"));
        storage.remove("/vm/a.qcow2");
    }

    @Test
    void anOverlayRemovedByHandIsNoFailureToRemoveThroughItsKeptHandle() throws IOException {
        qcow2("/vm/base.qcow2", GIB);
        storage.createOverlay("/vm/top.qcow2", new DiskImage("vda", "/vm/base.qcow2", ImageFormat.QCOW2));
        host.removeFile("/vm/top.qcow2");
        storage.remove("/vm/top.qcow2");
        assertFalse(storage.exists("/vm/top.qcow2"));
    }

    @Test
    void sizeIsTheVolumesLength() {
        host.file("/vm/VARS.fd", random(540_672));
        assertEquals(540_672, storage.size("/vm/VARS.fd"));
        assertTrue(storage.exists("/vm/VARS.fd"));
        assertFalse(storage.exists("/vm/none"));
    }

    @Test
    void theStateFolderGetsItsOwnPoolWhenMissing() {
        assertEquals("/var/lib/libvirt/esm", storage.stateDirectory());
        assertTrue(host.poolNames().contains("esm-state"), host.poolNames().toString());
        StatePool state = storage.statePool();
        assertEquals("esm-state", state.name());
        assertEquals("/var/lib/libvirt/esm", state.folder());
    }
}
