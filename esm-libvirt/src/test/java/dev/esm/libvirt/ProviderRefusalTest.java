package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.ImageAccess;
import dev.esm.api.SnapshotManager;
import dev.esm.api.errors.InvalidOperationException;
import org.junit.jupiter.api.Test;

/** URIs ESM cannot serve are refused before any connection is made. */
class ProviderRefusalTest {
    @Test
    void otherDriversThanQemuAreRefusedWithWhatToUseInstead() {
        var e = assertThrows(InvalidOperationException.class, () -> SnapshotManager.connect("lxc:///system"));
        assertTrue(e.getMessage().contains("qemu"), e.getMessage());
        assertThrows(InvalidOperationException.class, () -> SnapshotManager.connect("xen+ssh://h/system"));
        assertThrows(InvalidOperationException.class, () -> SnapshotManager.connect("test:///default"));
    }

    @Test
    void localFilesAreRefusedForARemoteUri() {
        var e = assertThrows(InvalidOperationException.class,
                () -> SnapshotManager.connect("qemu+ssh://root@h/system", ImageAccess.LOCAL_FILES));
        assertTrue(e.getMessage().contains("LIBVIRT_STORAGE"), e.getMessage());
    }

    @Test
    void theEmbeddedDriverHasNoStoragePools() {
        assertThrows(InvalidOperationException.class,
                () -> SnapshotManager.connect("qemu:///embed?root=/tmp/x", ImageAccess.LIBVIRT_STORAGE));
    }

    @Test
    void qemuUrisOfEveryTransportPassTheCheck() {
        for (String uri : new String[] {"qemu:///system", "qemu+ssh://root@h/system", "qemu+tls://h/system",
                "qemu:///embed?root=/x", "qemu+unix:///system"}) {
            assertDoesNotThrow(() -> LibvirtSnapshotManagerProvider.check(uri, ImageAccess.AUTO), uri);
        }
    }
}
