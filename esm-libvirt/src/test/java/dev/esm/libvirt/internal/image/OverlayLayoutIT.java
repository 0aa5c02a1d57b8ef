package dev.esm.libvirt.internal.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import dev.esm.api.OverlayLayout;
import dev.esm.libvirt.internal.local.LocalStorage;
import dev.esm.libvirt.internal.local.QemuImg;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import dev.esm.libvirt.testbed.LibvirtBed;

/**
 * The two overlay layouts ESM writes in-process, against QEMU's own tools: what {@code qemu-img} says of them, what a
 * guest's first small write copies up, and the in-process header read.
 */
class OverlayLayoutIT {
    private static String run(String... cmd) {
        return LibvirtBed.run(List.of(cmd));
    }

    private static LocalStorage storage(OverlayLayout layout) {
        return new LocalStorage("qemu-img", java.time.Duration.ofSeconds(60), layout);
    }

    @ParameterizedTest
    @EnumSource(OverlayLayout.class)
    void qemuImgReadsTheLayoutItWasAskedForAndFindsNoError(OverlayLayout layout) throws Exception {
        Path dir = Files.createTempDirectory("esm-layout-");
        try {
            String base = dir + "/base.img";
            run("qemu-img", "create", "-q", "-f", "raw", base, "3G");
            String overlay = dir + "/o.qcow2";
            storage(layout).createOverlay(overlay, new DiskImage("vda", base, ImageFormat.RAW));
            run("qemu-img", "check", "-f", "qcow2", overlay);
            String json = run("qemu-img", "info", "--output=json", "-f", "qcow2", overlay);
            boolean sub = layout == OverlayLayout.SUBCLUSTERS;
            assertTrue(json.contains("\"cluster-size\": " + (sub ? 131072 : 65536)), json);
            assertTrue(json.contains("\"extended-l2\": " + sub), json);
            assertTrue(json.contains("\"virtual-size\": " + (3L << 30)), json);
            assertTrue(json.contains("\"backing-filename-format\": \"raw\""), json);
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }

    /**
     * A guest's first 4 KiB write into a fresh overlay: with subclusters the overlay then holds those 4 KiB alone
     * (nothing copied up from the backing image, which still serves the rest of the region); in the classic layout it
     * holds the whole 64 KiB cluster, copied up first.
     */
    @ParameterizedTest
    @EnumSource(OverlayLayout.class)
    void aFirstSmallWriteCopiesUpNothingWithSubclustersAndAWholeClusterWithout(OverlayLayout layout) throws Exception {
        Path dir = Files.createTempDirectory("esm-layout-");
        try {
            String base = dir + "/base.qcow2";
            run("qemu-img", "create", "-q", "-f", "qcow2", base, "64M");
            run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 1M", base);
            String overlay = dir + "/o.qcow2";
            storage(layout).createOverlay(overlay, new DiskImage("vda", base, ImageFormat.QCOW2));
            run("qemu-io", "-f", "qcow2", "-c", "write -P 0x61 128k 4k", overlay);
            run("qemu-img", "check", "-f", "qcow2", overlay);
            long own = ownBytes(run("qemu-img", "map", "--output=json", "-f", "qcow2", overlay));
            assertEquals(layout == OverlayLayout.SUBCLUSTERS ? 4096 : 65536, own);
            assertFalse(run("qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0x5a 124k 4k", overlay).contains("failed"));
            assertFalse(run("qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0x61 128k 4k", overlay).contains("failed"));
            assertFalse(run("qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0x5a 132k 4k", overlay).contains("failed"));
            assertFalse(run("qemu-io", "-r", "-f", "qcow2", "-c", "read -P 0x5a 0 1M", base).contains("failed"));
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }

    /** @return the bytes {@code qemu-img map} says the top image itself holds (depth 0, data) */
    private static long ownBytes(String mapJson) {
        Matcher m = Pattern.compile("\\{[^}]*\"length\": (\\d+)[^}]*\"depth\": 0[^}]*\"data\": true[^}]*}")
                .matcher(mapJson);
        long sum = 0;
        while (m.find()) {
            sum += Long.parseLong(m.group(1));
        }
        return sum;
    }

    @Test
    void theInProcessHeaderReadServesASubclusterOverlayAsQemuImgWould() throws Exception {
        Path dir = Files.createTempDirectory("esm-layout-");
        try {
            String base = dir + "/base.qcow2";
            run("qemu-img", "create", "-q", "-f", "qcow2", base, "10M");
            String overlay = dir + "/o.qcow2";
            storage(OverlayLayout.SUBCLUSTERS).createOverlay(overlay, new DiskImage("vda", base, ImageFormat.QCOW2));
            Optional<ImageInfo> quick = QemuImg.quickInfo(overlay, ImageFormat.QCOW2);
            assertTrue(quick.isPresent(), "an image whose only incompatible feature is subclusters is read in-process");
            ImageInfo full = new QemuImg("qemu-img", java.time.Duration.ofSeconds(60)).info(overlay, ImageFormat.QCOW2);
            assertEquals(full.virtualSize(), quick.get().virtualSize());
            assertEquals(full.backing(), quick.get().backing());
            assertEquals(full.backingFormat(), quick.get().backingFormat());
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }
}
