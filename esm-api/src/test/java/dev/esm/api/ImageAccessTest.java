package dev.esm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageAccessTest {
    @Test
    void urisOnThisMachineAreLocal() {
        assertFalse(ImageAccess.isRemote("qemu:///system"));
        assertFalse(ImageAccess.isRemote("qemu:///session"));
        assertFalse(ImageAccess.isRemote("qemu+unix:///system"));
        assertFalse(ImageAccess.isRemote("qemu:///embed?root=/var/tmp/x"));
        assertFalse(ImageAccess.isRemote("qemu://localhost/system"));
    }

    @Test
    void aTransportOrAHostMakesAUriRemote() {
        assertTrue(ImageAccess.isRemote("qemu+ssh://root@host7/system"));
        assertTrue(ImageAccess.isRemote("qemu+ssh://root@127.0.0.1:2222/system?keyfile=/k"));
        assertTrue(ImageAccess.isRemote("qemu+tls://host7/system"));
        assertTrue(ImageAccess.isRemote("qemu+tcp://host7/system"));
        assertTrue(ImageAccess.isRemote("qemu+libssh2://u@host7/system"));
        assertTrue(ImageAccess.isRemote("qemu://host7/system"));
        assertTrue(ImageAccess.isRemote("qemu://[fe80::1]:16514/system"));
    }

    @Test
    void autoResolvesByTheUriAndExplicitChoicesStay() {
        assertEquals(ImageAccess.LIBVIRT_STORAGE, ImageAccess.AUTO.resolve("qemu+ssh://h/system"));
        assertEquals(ImageAccess.LOCAL_FILES, ImageAccess.AUTO.resolve("qemu:///system"));
        assertEquals(ImageAccess.LIBVIRT_STORAGE, ImageAccess.LIBVIRT_STORAGE.resolve("qemu:///system"));
        assertEquals(ImageAccess.LOCAL_FILES, ImageAccess.LOCAL_FILES.resolve("qemu:///system"));
    }
}
