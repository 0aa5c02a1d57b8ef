package dev.esm.libvirt.internal.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.esm.api.errors.StorageException;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.libvirt.LibvirtException;
import org.libvirt.StorageVol;

/** The copy through the client: bytes unchanged, a CRC32C of what was sent and of what is read back. */
class VolumeCopierTest {
    private final InMemoryPools host = new InMemoryPools();
    private final PoolRegistry pools = new PoolRegistry(host.conn, "h");
    private final VolumeCopier copier = new VolumeCopier(host.conn, pools);

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static long crc(byte[] b, int n) {
        CRC32C c = new CRC32C();
        c.update(b, 0, n);
        return c.getValue();
    }

    @Test
    void aCopyArrivesUnchangedAndReturnsTheCrc32cOfItsBytes() {
        byte[] data = random(3 * Volumes.CHUNK + 17); // several chunks and a part
        host.file("/d/src", data);
        host.file("/d/dst", new byte[0]);
        long crc = copier.copy("/d/src", "/d/dst", data.length);
        assertEquals(crc(data, data.length), crc);
        assertArrayEquals(data, host.volume("/d/dst").orElseThrow().data);
    }

    @Test
    void theChecksumIsThatOfTheFirstSizeBytesAndChangesWithAnyByte() throws LibvirtException {
        byte[] data = random(1000);
        host.file("/d/a", data);
        StorageVol v = pools.volume("/d/a").orElseThrow();
        assertEquals(crc(data, 600), copier.checksum(v, 600));
        host.volume("/d/a").orElseThrow().data[599] ^= 1;
        assertNotEquals(crc(data, 600), copier.checksum(v, 600));
    }

    @Test
    void aSourceShorterThanItsSizeFailsTheCopy() {
        host.file("/d/src", random(100));
        host.file("/d/dst", new byte[0]);
        StorageException e = assertThrows(StorageException.class, () -> copier.copy("/d/src", "/d/dst", 200));
        assertEquals("copying '/d/src' gave 100 of 200 bytes", e.getMessage());
    }

    @Test
    void aMissingSourceOrTargetFailsBeforeAnyByteMoves() {
        host.file("/d/src", random(10));
        assertEquals("'/d/dst' vanished",
                assertThrows(StorageException.class, () -> copier.copy("/d/src", "/d/dst", 10)).getMessage());
        assertEquals("'/d/none' does not exist",
                assertThrows(StorageException.class, () -> copier.copy("/d/none", "/d/src", 10)).getMessage());
        assertTrue(host.uploads.isEmpty());
    }

    @Test
    void theHandlesOfBothVolumesAreFreedAfterACopy() {
        host.file("/d/src", random(10));
        host.file("/d/dst", new byte[0]);
        copier.copy("/d/src", "/d/dst", 10);
        assertEquals(host.volumeHandles(), host.freedVolumes());
    }

    @Test
    void permissionsKeepModeOwnerAndGroupAsLibvirtDescribesThem() throws LibvirtException {
        StorageVol v = mock(StorageVol.class);
        when(v.getXMLDesc(0)).thenReturn("<volume><target><path>/d/a</path><permissions><mode>0640</mode>"
                + "<owner>107</owner><group>110</group><label>x</label></permissions></target></volume>");
        assertEquals("<mode>0640</mode><owner>107</owner><group>110</group>", VolumeCopier.permissionsOf(v));
    }

    @Test
    void aVolumeWithoutPermissionsGetsOwnerOnlyMode() throws LibvirtException {
        StorageVol v = mock(StorageVol.class);
        when(v.getXMLDesc(0)).thenReturn("<volume><target><path>/d/a</path></target></volume>");
        assertEquals("<mode>0600</mode>", VolumeCopier.permissionsOf(v));
    }
}
