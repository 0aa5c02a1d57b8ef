package dev.esm.libvirt.internal.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageAccess;
import dev.esm.api.ImageFormat;
import dev.esm.api.errors.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.libvirt.Connect;
import dev.esm.libvirt.LibvirtHost;
import dev.esm.libvirt.testbed.AbstractLibvirtBed;
import dev.esm.libvirt.testbed.LibvirtBed;

/**
 * Overlays made through libvirt's storage API both ways {@link PoolStorage} makes them: uploaded (a folder of few
 * files) and created by libvirt with a backing store (a folder of many, where each upload's rescan would cost more).
 * Either way the same overlay: qcow2 v3 over the base with its format recorded, the base's size, subclusters, mode
 * 0600, made exclusively, the base's data read through it.
 */
class PoolOverlayIT {
    private static String run(String... cmd) {
        return LibvirtBed.run(List.of(cmd));
    }

    @ParameterizedTest(name = "upload limit {0}")
    @ValueSource(ints = {0, Integer.MAX_VALUE})
    void anOverlayIsTheSameWhetherUploadedOrMadeByLibvirt(int uploadLimit) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "esm-pool-overlay-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (LibvirtHost host = new LibvirtHost(LibvirtBed.URI, ImageAccess.LIBVIRT_STORAGE)) {
            PoolStorage storage = (PoolStorage) host.storage();
            storage.uploadLimit(uploadLimit);
            String base = dir + "/base.qcow2";
            String raw = dir + "/data.img";
            run("qemu-img", "create", "-q", "-f", "qcow2", base, "24M");
            run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 64k", base);
            run("qemu-img", "create", "-q", "-f", "raw", raw, "3M");
            String overlay = dir + "/overlay.qcow2";
            String onRaw = dir + "/on-raw.qcow2";
            storage.createOverlay(overlay, new DiskImage("vda", base, ImageFormat.QCOW2));
            storage.createOverlay(onRaw, new DiskImage("vdb", raw, ImageFormat.RAW));

            run("qemu-img", "check", "-f", "qcow2", overlay);
            String json = run("qemu-img", "info", "--output=json", "-f", "qcow2", overlay);
            assertTrue(json.contains("\"backing-filename\": \"" + base + "\""), json);
            assertTrue(json.contains("\"backing-filename-format\": \"qcow2\""), json);
            assertTrue(json.contains("\"virtual-size\": " + (24L << 20)), json);
            assertTrue(json.contains("\"compat\": \"1.1\""), json);
            assertTrue(json.contains("\"extended-l2\": true"), json); // the default layout, with subclusters
            assertTrue(json.contains("\"cluster-size\": 131072"), json);
            String rawJson = run("qemu-img", "info", "--output=json", "-f", "qcow2", onRaw);
            assertTrue(rawJson.contains("\"backing-filename-format\": \"raw\""), rawJson);
            assertTrue(rawJson.contains("\"virtual-size\": 3145728"), rawJson);
            assertTrue(!run("qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0x5a 0 64k", overlay).contains("failed"));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(overlay))));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(onRaw))));

            StorageException again = assertThrows(StorageException.class,
                    () -> storage.createOverlay(overlay, new DiskImage("vda", raw, ImageFormat.RAW)));
            assertTrue(again.getMessage().contains("exists already"), again.getMessage());
            assertTrue(json.equals(run("qemu-img", "info", "--output=json", "-f", "qcow2", overlay)),
                    "the refused second creation left the overlay as it was");
            storage.remove(overlay);
            storage.remove(onRaw);
            Connect conn = new Connect(LibvirtBed.URI, false);
            try {
                AbstractLibvirtBed.dropTransientPoolsUnder(conn, dir.toString()); // the pool made over the folder
            } finally {
                conn.close();
            }
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }
}
