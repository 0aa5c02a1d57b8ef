package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The in-process overlay writer against QEMU's own tools: qemu-img check, info, and data read and written through it. */
class Qcow2OverlayIT {
    private static String run(String... cmd) {
        return LibvirtBed.run(List.of(cmd));
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(longs = {1L << 20, 16L << 20, 536_870_912L, 536_870_913L, 10L << 30, 1L << 40})
    void anOverlayPassesQemuImgCheckAndReadsItsBackingData(long size) throws Exception {
        Path dir = Files.createTempDirectory("esm-qcow2-");
        try {
            String base = dir + "/base with space.qcow2";
            run("qemu-img", "create", "-q", "-f", "qcow2", base, Long.toString(size));
            run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 64k", base);
            String overlay = dir + "/overlay.qcow2";
            new LocalStorage().createOverlay(overlay, new DiskImage("vda", base, ImageFormat.QCOW2));
            run("qemu-img", "check", "-f", "qcow2", overlay);
            var info = new LocalStorage().info(overlay, ImageFormat.QCOW2);
            assertEquals(new LocalStorage().info(base, ImageFormat.QCOW2).virtualSize(), info.virtualSize());
            assertEquals(java.util.Optional.of(base), info.backing());
            assertEquals(java.util.Optional.of(ImageFormat.QCOW2), info.backingFormat());
            assertTrue(!run("qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0x5a 0 64k", overlay).contains("failed"));
            run("qemu-io", "-f", "qcow2", "-c", "write -P 0x61 64k 64k", overlay);
            run("qemu-img", "check", "-f", "qcow2", overlay);
            assertTrue(!run("qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0x61 64k 64k", overlay).contains("failed"));
            assertTrue(!run("qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0x5a 0 64k", base).contains("failed"));
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(Path.of(overlay))));
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }

    @Test
    void anOverlayOnARawBaseRecordsTheRawFormat() throws Exception {
        Path dir = Files.createTempDirectory("esm-qcow2-");
        try {
            String base = dir + "/base.img";
            run("qemu-img", "create", "-q", "-f", "raw", base, "3M");
            String overlay = dir + "/o.qcow2";
            new LocalStorage().createOverlay(overlay, new DiskImage("vdb", base, ImageFormat.RAW));
            run("qemu-img", "check", "-f", "qcow2", overlay);
            String json = run("qemu-img", "info", "--output=json", "-f", "qcow2", overlay);
            assertTrue(json.contains("\"backing-filename-format\": \"raw\""), json);
            assertTrue(json.contains("\"virtual-size\": 3145728"), json);
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }
}
