package dev.esm.libvirt.internal.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.OverlayLayout;
import dev.esm.api.ImageInfo;
import dev.esm.api.errors.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import dev.esm.libvirt.internal.local.LocalStorage;
import dev.esm.libvirt.testbed.LibvirtBed;

/**
 * The in-process overlay writer ({@link Qcow2}) against {@code qemu-img create -f qcow2 -F FMT -b BACKING} on the
 * same backing image, over random virtual sizes (not only multiples of 512), backing formats, backing path lengths
 * (up to and past the 1023 bytes a qcow2 header allows) and both layouts ({@code -o extended_l2=on,cluster_size=128k}
 * for subclusters): both accept or both refuse, and what QEMU reads back (size, backing name and format, cluster
 * size, qcow2's own fields, content) is the same.
 */
class Qcow2HeaderPropertiesIT {

    /** A backing image to make: its format, length in bytes, and how long its path is; the overlay's layout. */
    record Case(ImageFormat format, long size, int pathLength, OverlayLayout layout) {
    }

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Long> sizes = Arbitraries.oneOf(
                Arbitraries.longs().between(1, 4096),
                Arbitraries.longs().between(1, 1L << 32),
                Arbitraries.longs().between(1L << 30, 1L << 42),
                Arbitraries.of(1L << 30, (1L << 30) + 1, (1L << 30) - 1, 536_870_913L));
        return Combinators.combine(Arbitraries.of(ImageFormat.RAW, ImageFormat.QCOW2), sizes,
                Arbitraries.oneOf(Arbitraries.integers().between(80, 300), Arbitraries.integers().between(1000, 1040)),
                Arbitraries.of(OverlayLayout.class))
                .as(Case::new);
    }

    private static String run(String... cmd) {
        return LibvirtBed.run(List.of(cmd));
    }

    /** @return a path of exactly {@code length} bytes under {@code dir}, its folders made */
    private static Path pathOfLength(Path dir, int length, String suffix) throws Exception {
        StringBuilder p = new StringBuilder(dir.toString());
        int room = length - suffix.length() - 1;
        while (room - p.length() > 200) {
            p.append('/').append("d".repeat(150));
        }
        Path folder = Path.of(p.toString());
        Files.createDirectories(folder);
        int nameLength = length - p.length() - 1;
        String name = "b".repeat(Math.max(1, nameLength - suffix.length())) + suffix;
        return folder.resolve(name);
    }

    private static Map<String, Object> info(String image) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) JsonValue.parse(run("qemu-img", "info", "--output=json", "-U",
                "-f", "qcow2", image));
        return m;
    }

    @Property(tries = 40)
    void theOverlayReadsAsTheOneQemuImgCreateMakes(@ForAll("cases") Case c) throws Exception {
        Path dir = Files.createTempDirectory("esm-qcow2-prop-");
        try {
            Path backing = pathOfLength(dir, c.pathLength(), c.format() == ImageFormat.RAW ? ".img" : ".qcow2");
            assertEquals(c.pathLength(), backing.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            if (c.format() == ImageFormat.RAW) {
                try (var f = new java.io.RandomAccessFile(backing.toFile(), "rw")) {
                    f.setLength(c.size()); // sparse, any length: a raw disk need not be whole sectors
                    f.seek(c.size() - 1);
                    f.write(0x5a); // the last byte, which a rounded-down overlay would lose
                }
            } else {
                run("qemu-img", "create", "-q", "-f", "qcow2", backing.toString(), Long.toString(c.size()));
            }
            String theirs = dir + "/qemu-img.qcow2";
            String ours = dir + "/esm.qcow2";
            DiskImage b = new DiskImage("vda", backing.toString(), c.format());
            List<String> create = List.of("qemu-img", "create", "-q", "-f", "qcow2", "-o",
                    c.layout() == OverlayLayout.SUBCLUSTERS ? "extended_l2=on,cluster_size=128k" : "extended_l2=off",
                    "-F", c.format().id(), "-b", backing.toString(), theirs);
            LocalStorage storage = new LocalStorage("qemu-img", java.time.Duration.ofSeconds(120), c.layout());
            boolean qemuAccepts;
            try {
                LibvirtBed.run(create);
                qemuAccepts = true;
            } catch (IllegalStateException refused) {
                qemuAccepts = false;
            }
            if (!qemuAccepts) {
                assertTrue(c.pathLength() > 1023, "qemu-img refused only a backing name over 1023 bytes: " + c);
                var e = assertThrows(StorageException.class, () -> storage.createOverlay(ours, b));
                assertTrue(e.getMessage().contains("too long"), e.getMessage());
                assertTrue(!Files.exists(Path.of(ours)), "a refused overlay leaves no file");
                return;
            }
            storage.createOverlay(ours, b);
            run("qemu-img", "check", "-f", "qcow2", ours);
            Map<String, Object> q = info(theirs);
            Map<String, Object> e = info(ours);
            for (String key : List.of("virtual-size", "cluster-size", "backing-filename", "full-backing-filename",
                    "backing-filename-format", "format", "encrypted")) {
                assertEquals(q.get(key), e.get(key), key + " for " + c);
            }
            assertEquals(String.valueOf(q.get("format-specific")), String.valueOf(e.get("format-specific")),
                    "qcow2's own fields (extended L2, compat, refcount bits, ...) for " + c);
            ImageInfo mine = new LocalStorage().info(ours, ImageFormat.QCOW2);
            assertEquals(q.get("virtual-size"), mine.virtualSize());
            // The content through both overlays is the same, the last byte of the backing file included.
            run("qemu-img", "compare", "-f", "qcow2", "-F", "qcow2", theirs, ours);
            if (c.format() == ImageFormat.RAW) {
                long last = c.size() - 1;
                String read = run("qemu-io", "-r", "-f", "qcow2", "-c",
                        "read -P 0x5a " + last + " 1", ours);
                assertTrue(!read.contains("failed") && !read.contains("error"), read);
            }
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }
}
