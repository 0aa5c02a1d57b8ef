package dev.esm.libvirt.internal.image;

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
import dev.esm.libvirt.internal.local.LocalStorage;
import dev.esm.libvirt.internal.pool.PoolStorage;
import dev.esm.libvirt.testbed.LibvirtBed;

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

    /**
     * The header rewrite PoolStorage uploads: on images qemu-img made (v3 with a feature-name table, v2 / compat
     * 0.10, with and without a backing file, a longer and a shorter new name), the result passes qemu-img check,
     * names the new backing image and format, and the image's own data is untouched.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"compat=1.1", "compat=0.10", "compat=1.1,nobacking", "compat=1.1,shorter"})
    void aRebasedHeaderPointsAtTheNewBackingAndKeepsTheData(String variant) throws Exception {
        Path dir = Files.createTempDirectory("esm-qcow2-");
        try {
            String compat = variant.split(",")[0];
            String oldBase = dir + "/old-base-with-a-rather-long-name.qcow2";
            String newBase = variant.endsWith("shorter") ? dir + "/n.img" : dir + "/a new base, longer than before.img";
            run("qemu-img", "create", "-q", "-f", "qcow2", oldBase, "8M");
            run("qemu-img", "create", "-q", "-f", "raw", newBase, "8M");
            String image = dir + "/image.qcow2";
            if (variant.contains("nobacking")) {
                run("qemu-img", "create", "-q", "-f", "qcow2", "-o", compat, image, "8M");
            } else {
                run("qemu-img", "create", "-q", "-f", "qcow2", "-o", compat, "-F", "qcow2", "-b", oldBase, image);
            }
            run("qemu-io", "-f", "qcow2", "-c", "write -P 0x33 1M 64k", image);
            byte[] head = new byte[65536];
            try (var ch = java.nio.channels.FileChannel.open(Path.of(image))) {
                ch.read(java.nio.ByteBuffer.wrap(head), 0);
            }
            byte[] rewritten = Qcow2.rebasedHeader(java.nio.ByteBuffer.wrap(head), newBase, ImageFormat.RAW);
            try (var ch = java.nio.channels.FileChannel.open(Path.of(image), java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(rewritten), 0);
            }
            run("qemu-img", "check", "-f", "qcow2", image);
            String json = run("qemu-img", "info", "--output=json", "-f", "qcow2", image);
            assertTrue(json.contains("\"backing-filename\": \"" + newBase + "\""), json);
            assertTrue(json.contains("\"backing-filename-format\": \"raw\""), json);
            assertTrue(!run("qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0x33 1M 64k", image).contains("failed"));
            assertTrue(!run("qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0 0 64k", image).contains("failed"));
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }

    /**
     * The overlay PoolStorage uploads is byte for byte the one LocalStorage writes (their gaps read as zeros), in each
     * layout.
     */
    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(longs = {1L << 20, 536_870_913L, 1L << 40})
    void theUploadedOverlayIsTheFileLocalStorageWrites(long size) throws Exception {
        Path dir = Files.createTempDirectory("esm-qcow2-");
        try {
            String base = dir + "/base.qcow2";
            run("qemu-img", "create", "-q", "-f", "qcow2", base, Long.toString(size));
            // qemu-img rounds the size up to whole sectors: use what the base says, as both storages do.
            long virtual = Qcow2.virtualSize(Path.of(base), ImageFormat.QCOW2);
            for (dev.esm.api.OverlayLayout layout : dev.esm.api.OverlayLayout.values()) {
                String local = dir + "/local-" + layout + ".qcow2";
                new LocalStorage("qemu-img", java.time.Duration.ofSeconds(60), layout)
                        .createOverlay(local, new DiskImage("vda", base, ImageFormat.QCOW2));
                byte[] uploaded = Qcow2.overlayImage(base, ImageFormat.QCOW2, virtual, layout);
                byte[] written = Files.readAllBytes(Path.of(local));
                assertTrue(java.util.Arrays.equals(written, uploaded), layout + ": the uploaded bytes differ");
                Path copy = dir.resolve("uploaded-" + layout + ".qcow2");
                Files.write(copy, uploaded);
                run("qemu-img", "check", "-f", "qcow2", copy.toString());
            }
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }
}
