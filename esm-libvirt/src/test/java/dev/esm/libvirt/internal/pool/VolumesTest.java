package dev.esm.libvirt.internal.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.esm.api.errors.LeaseLostException;
import dev.esm.core.port.Fencing;
import dev.esm.core.port.StateStore;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.StorageVol;
import org.libvirt.Stream;

/** Byte transfers through libvirt streams, and the path helpers. */
class VolumesTest {
    private final InMemoryPools host = new InMemoryPools();

    private StorageVol vol(String path, byte[] bytes) throws LibvirtException {
        host.file(path, bytes);
        return new PoolRegistry(host.conn, "h").volume(path).orElseThrow();
    }

    @Test
    void aDownloadGivesTheBytesAskedForAndFewerAtTheEndOfTheVolume() throws LibvirtException {
        StorageVol v = vol("/d/a", new byte[] {1, 2, 3, 4, 5});
        assertArrayEquals(new byte[] {2, 3}, Volumes.download(host.conn, v, 1, 2));
        assertArrayEquals(new byte[] {4, 5}, Volumes.download(host.conn, v, 3, 10));
    }

    @Test
    void anUploadWritesAtItsOffsetAndKeepsTheRest() throws LibvirtException {
        StorageVol v = vol("/d/a", new byte[] {1, 2, 3, 4, 5});
        Volumes.upload(host.conn, v, 1, new byte[] {9, 9});
        assertArrayEquals(new byte[] {1, 9, 9, 4, 5}, host.volume("/d/a").orElseThrow().data);
    }

    @Test
    void anUploadUnderALostLeaseWritesNothing() throws LibvirtException {
        StorageVol v = vol("/d/a", new byte[] {1, 2, 3});
        StateStore.Lease lost = new StateStore.Lease() {
            @Override
            public void ensureHeld() {
                throw new LeaseLostException("lost", LeaseLostException.Fate.PENDING);
            }

            @Override
            public void close() {
            }
        };
        assertThrows(LeaseLostException.class,
                () -> Fencing.during(lost, () -> {
                    try {
                        Volumes.upload(host.conn, v, 0, new byte[] {7});
                    } catch (LibvirtException e) {
                        throw new IllegalStateException(e);
                    }
                }));
        assertArrayEquals(new byte[] {1, 2, 3}, host.volume("/d/a").orElseThrow().data);
        assertEquals(0, host.uploads.size());
    }

    @Test
    void sendFullySendsWhatAStreamTookOnlyPartOfUntilAllIsSent() throws LibvirtException {
        Stream s = mock(Stream.class);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        when(s.send(any(byte[].class))).thenAnswer(i -> {
            byte[] b = i.getArgument(0);
            int n = Math.min(2, b.length); // two bytes a call
            sent.write(b, 0, n);
            return n;
        });
        byte[] buf = {1, 2, 3, 4, 5, 6, 7};
        Volumes.sendFully(s, buf, 5);
        assertArrayEquals(Arrays.copyOf(buf, 5), sent.toByteArray());
    }

    @Test
    void aStreamThatRefusesToSendFails() throws LibvirtException {
        Stream s = mock(Stream.class);
        when(s.send(any(byte[].class))).thenReturn(-1);
        assertThrows(IllegalStateException.class, () -> Volumes.sendFully(s, new byte[] {1}, 1));
    }

    @Test
    void aFailedDownloadAbortsAndFreesItsStreamAndRethrows() throws LibvirtException {
        Connect conn = mock(Connect.class);
        Stream s = mock(Stream.class);
        StorageVol v = mock(StorageVol.class);
        LibvirtException broken = InMemoryPools.error(Error.ErrorNumber.VIR_ERR_INTERNAL_ERROR, "broken pipe");
        when(conn.streamNew(anyInt())).thenReturn(s);
        when(s.receive(any(byte[].class))).thenThrow(broken);
        assertSame(broken, assertThrows(LibvirtException.class, () -> Volumes.download(conn, v, 0, 10)));
        verify(s).abort();
        verify(s).free();
        verify(s, never()).finish();
    }

    @Test
    void aFailedUploadAbortsAndFreesItsStreamAndRethrows() throws LibvirtException {
        Connect conn = mock(Connect.class);
        Stream s = mock(Stream.class);
        StorageVol v = mock(StorageVol.class);
        LibvirtException gone = InMemoryPools.error(Error.ErrorNumber.VIR_ERR_NO_STORAGE_VOL, "gone");
        when(conn.streamNew(anyInt())).thenReturn(s);
        org.mockito.Mockito.doThrow(gone).when(v).upload(any(Stream.class), anyLong(), anyLong(), anyInt());
        assertSame(gone, assertThrows(LibvirtException.class, () -> Volumes.upload(conn, v, 0, new byte[] {1})));
        verify(s).abort();
        verify(s).free();
        verify(s, never()).send(any(byte[].class));
    }

    @Test
    void parentAndFileNameSplitAPathAtItsLastSlash() {
        assertEquals("/var/lib/esm", Volumes.parent("/var/lib/esm/a.journal"));
        assertEquals("/", Volumes.parent("/a"));
        assertEquals("a.journal", Volumes.fileName("/var/lib/esm/a.journal"));
        assertEquals("a", Volumes.fileName("a"));
    }

    @Test
    void freeingNullOrAFailingHandleDoesNotThrow() throws LibvirtException {
        Volumes.free((StorageVol) null);
        StorageVol v = mock(StorageVol.class);
        LibvirtException freed = InMemoryPools.error(Error.ErrorNumber.VIR_ERR_INVALID_STORAGE_VOL, "freed");
        when(v.free()).thenThrow(freed);
        Volumes.free(v);
        verify(v).free();
    }
}
