package dev.esm.libvirt.internal.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import dev.esm.api.errors.StorageException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;

/** The pools over folders: found, made, kept and made again; volume lookups through them; pool names. */
class PoolRegistryTest {
    private final InMemoryPools host = new InMemoryPools();
    private final PoolRegistry pools = new PoolRegistry(host.conn, "qemu+ssh://host/system");

    @Test
    void aUsersPoolOverTheFolderIsUsedAndNoPoolIsMade() {
        host.userPool("images", "/srv/images");
        assertEquals(Optional.of("images"), pools.pool("/srv/images", false));
        assertEquals(List.of("images"), host.poolNames());
        assertTrue(pools.knows("/srv/images"));
    }

    @Test
    void aFolderWithoutAPoolGetsATransientOneNamedAfterIt() throws LibvirtException {
        host.folder("/srv/vm");
        String name = pools.pool("/srv/vm", false).orElseThrow();
        assertEquals(PoolRegistry.poolName("/srv/vm"), name);
        assertEquals(List.of(name), host.poolNames());
        assertEquals(0, host.conn.storagePoolLookupByName(name).isPersistent());
    }

    @Test
    void aMissingFolderHasNoPoolUnlessItIsToBeBuilt() {
        assertEquals(Optional.empty(), pools.pool("/srv/none", false));
        assertTrue(host.poolNames().isEmpty());
        assertTrue(pools.pool("/srv/none", true).isPresent(), "made with the build flag");
        assertEquals(1, host.poolNames().size());
    }

    @Test
    void requirePoolNamesTheFolderAndTheHostWhenTheFolderIsMissing() {
        StorageException e = assertThrows(StorageException.class, () -> pools.requirePool("/srv/none"));
        assertTrue(e.getMessage().contains("/srv/none") && e.getMessage().contains("qemu+ssh://host/system"),
                e.getMessage());
    }

    @Test
    void poolNamesAreStableSafeAndDifferPerFolder() {
        assertEquals(PoolRegistry.poolName("/srv/my vm's disks"), PoolRegistry.poolName("/srv/my vm's disks"));
        assertTrue(PoolRegistry.poolName("/srv/my vm's disks").matches("esm-my_vm_s_disks-[0-9a-f]{8}"),
                PoolRegistry.poolName("/srv/my vm's disks"));
        assertNotEquals(PoolRegistry.poolName("/a/disks"), PoolRegistry.poolName("/b/disks"),
                "same last element, other folder");
        String longName = PoolRegistry.poolName("/srv/" + "x".repeat(100));
        assertEquals("esm-".length() + 40 + 1 + 8, longName.length(), longName);
    }

    @Test
    void aTransientPoolThatVanishedIsMadeAgainOnItsNextCall() {
        host.folder("/srv/vm");
        host.file("/srv/vm/a.qcow2", new byte[] {1, 2, 3});
        pools.pool("/srv/vm", false);
        host.restartLibvirtd();
        assertTrue(host.poolNames().isEmpty());
        int n = pools.inPool("/srv/vm", "counting", StoragePool::numOfVolumes);
        assertEquals(1, n, "the pool made again sees the folder's file");
        assertEquals(1, host.poolNames().size());
    }

    @Test
    void aFailedCallInAPoolIsAStorageExceptionSayingWhatWasDone() {
        host.folder("/srv/vm");
        StorageException e = assertThrows(StorageException.class, () -> pools.inPool("/srv/vm", "creating 'x'",
                p -> p.storageVolLookupByName("x")));
        assertTrue(e.getMessage().startsWith("creating 'x' failed (libvirt: "), e.getMessage());
    }

    @Test
    void theHandleOfAPoolIsLookedUpOnceAndKept() throws LibvirtException {
        host.folder("/srv/vm");
        String name = pools.pool("/srv/vm", false).orElseThrow();
        StoragePool first = pools.poolHandle(name);
        assertSame(first, pools.poolHandle(name));
    }

    @Test
    void aVolumeIsFoundByPathAndAMissingOneIsEmpty() throws LibvirtException {
        host.file("/srv/vm/a.qcow2", new byte[] {1});
        StorageVol v = pools.volume("/srv/vm/a.qcow2").orElseThrow();
        assertEquals("/srv/vm/a.qcow2", v.getPath());
        assertEquals(Optional.empty(), pools.volume("/srv/vm/b.qcow2"));
        assertEquals(Optional.empty(), pools.volume("/srv/none/b.qcow2"), "no folder, no pool made");
        assertTrue(host.poolNames().size() == 1);
    }

    @Test
    void inKnownPoolIsNullUntilAPoolIsKnownForTheFolderThenEmptyForAMissingVolume() {
        host.file("/srv/vm/a.qcow2", new byte[] {1});
        assertNull(pools.inKnownPool("/srv/vm/a.qcow2"));
        pools.pool("/srv/vm", false);
        assertTrue(pools.inKnownPool("/srv/vm/a.qcow2").isPresent());
        assertEquals(Optional.empty(), pools.inKnownPool("/srv/vm/b.qcow2"));
    }

    @Test
    void withVolumeFreesTheHandleAndTurnsAFailureIntoAStorageException() {
        host.file("/srv/vm/a.qcow2", new byte[] {1});
        int freed = host.freedVolumes();
        assertEquals("a.qcow2", pools.withVolume("/srv/vm/a.qcow2", "naming", StorageVol::getName));
        assertEquals(freed + 1, host.freedVolumes());
        StorageException missing = assertThrows(StorageException.class,
                () -> pools.withVolume("/srv/vm/b.qcow2", "reading", StorageVol::getName));
        assertEquals("'/srv/vm/b.qcow2' does not exist", missing.getMessage());
        StorageException failed = assertThrows(StorageException.class, () -> pools.withVolume("/srv/vm/a.qcow2",
                "reading", v -> {
                    throw InMemoryPools.error(Error.ErrorNumber.VIR_ERR_INTERNAL_ERROR, "boom");
                }));
        assertEquals("reading '/srv/vm/a.qcow2' failed: boom", failed.getMessage());
    }

    @Test
    void dropPoolStopsATransientPoolAndLeavesAUsersPoolAlone() {
        host.folder("/srv/vm");
        pools.pool("/srv/vm", false);
        host.userPool("images", "/srv/images");
        pools.pool("/srv/images", false);
        pools.dropPool("/srv/vm");
        pools.dropPool("/srv/images");
        assertEquals(List.of("images"), host.poolNames());
        assertFalse(pools.knows("/srv/vm"));
    }

    @Test
    void aRefreshRefusedForAnotherClientsCreationIsTriedAgain() throws LibvirtException {
        StoragePool p = mock(StoragePool.class);
        LibvirtException busy = InMemoryPools.error(Error.ErrorNumber.VIR_ERR_OPERATION_INVALID,
                "storage pool 'x' has asynchronous jobs running.");
        doThrow(busy).doThrow(busy).doNothing().when(p).refresh(anyInt());
        PoolRegistry.refresh(p);
        verify(p, times(3)).refresh(0);
    }

    @Test
    void anyOtherRefreshFailureIsThrownAtOnce() throws LibvirtException {
        StoragePool p = mock(StoragePool.class);
        LibvirtException other = InMemoryPools.error(Error.ErrorNumber.VIR_ERR_INTERNAL_ERROR, "cannot open dir");
        doThrow(other).when(p).refresh(anyInt());
        assertSame(other, assertThrows(LibvirtException.class, () -> PoolRegistry.refresh(p)));
        verify(p, times(1)).refresh(0);
    }

    @Test
    void closeForgetsThePoolsAndFreesTheirHandles() throws LibvirtException {
        host.folder("/srv/vm");
        String name = pools.pool("/srv/vm", false).orElseThrow();
        StoragePool handle = pools.poolHandle(name);
        verify(handle, never()).free();
        pools.close();
        assertFalse(pools.knows("/srv/vm"));
        verify(handle).free();
    }
}
