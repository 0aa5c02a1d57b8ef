package dev.esm.libvirt.internal.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.testbed.LibvirtBed;

/**
 * Image information read in process (a header and one stat) says what {@code qemu-img info} says, for the images it
 * takes on; the others are left to {@code qemu-img}.
 */
class ImageInfoIT {
    private static String run(String... cmd) {
        return LibvirtBed.run(List.of(cmd));
    }

    private static ImageInfo qemuImg(String path, ImageFormat f) {
        return QemuImg.imageInfo(path, f, run("qemu-img", "info", "--output=json", "-U", "-f", f.id(), path));
    }

    private static void assertSameAsQemuImg(String path, ImageFormat f) {
        Optional<ImageInfo> quick = QemuImg.quickInfo(path, f);
        assertTrue(quick.isPresent(), "read in process: " + path);
        assertEquals(qemuImg(path, f), quick.get(), path);
        assertEquals(qemuImg(path, f), new LocalStorage().info(path, f), path);
    }

    @Test
    void plainImagesOverlaysAndRawFilesReadAsQemuImgReadsThem() throws Exception {
        Path dir = Files.createTempDirectory("esm-info-");
        try {
            String base = dir + "/base with space.qcow2";
            run("qemu-img", "create", "-q", "-f", "qcow2", base, "64M");
            run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 1M", base);
            assertSameAsQemuImg(base, ImageFormat.QCOW2);
            String relative = dir + "/relative.qcow2";
            run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base with space.qcow2", "-F", "qcow2", relative);
            assertSameAsQemuImg(relative, ImageFormat.QCOW2);
            Files.createDirectories(dir.resolve("sub"));
            String up = dir + "/sub/up.qcow2";
            run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "../relative.qcow2", "-F", "qcow2", up);
            assertSameAsQemuImg(up, ImageFormat.QCOW2);
            String raw = dir + "/disk.img";
            run("qemu-img", "create", "-q", "-f", "raw", raw, "3M");
            run("qemu-io", "-f", "raw", "-c", "write -P 0x11 1M 64k", raw);
            assertSameAsQemuImg(raw, ImageFormat.RAW);
            String onRaw = dir + "/on-raw.qcow2";
            run("qemu-img", "create", "-q", "-f", "qcow2", "-b", raw, "-F", "raw", onRaw);
            assertSameAsQemuImg(onRaw, ImageFormat.QCOW2);
            String v2 = dir + "/v2.qcow2";
            run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "compat=0.10", v2, "5M");
            assertSameAsQemuImg(v2, ImageFormat.QCOW2);
            String overlay = dir + "/esm-overlay.qcow2";
            new LocalStorage().createOverlay(overlay, new dev.esm.api.DiskImage("vda", up, ImageFormat.QCOW2));
            assertSameAsQemuImg(overlay, ImageFormat.QCOW2);
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }

    @Test
    void imagesItDoesNotTakeOnAreLeftToQemuImg() throws Exception {
        Path dir = Files.createTempDirectory("esm-info-");
        try {
            String external = dir + "/external-data.qcow2";
            run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "data_file=" + dir + "/data.raw", external, "4M");
            assertEquals(Optional.empty(), QemuImg.quickInfo(external, ImageFormat.QCOW2), "external data file");
            assertEquals(qemuImg(external, ImageFormat.QCOW2), new LocalStorage().info(external, ImageFormat.QCOW2));
            String protocol = dir + "/on-nbd.qcow2";
            run("qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "nbd://localhost:10809/x", "-F", "raw", protocol,
                    "4M");
            assertEquals(Optional.empty(), QemuImg.quickInfo(protocol, ImageFormat.QCOW2), "a protocol backing");
            assertEquals(Optional.empty(), QemuImg.quickInfo(dir + "/missing.qcow2", ImageFormat.QCOW2));
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }
}
