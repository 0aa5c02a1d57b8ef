package dev.esm.libvirt.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A chain of five qcow2 images for the pull tests, each layer with a pattern of its own at offsets of its own, some
 * over others': {@code l0.qcow2} (the bottom) to {@code l4.qcow2} (the top, the one pulled into). Made and read with
 * {@code qemu-img} and {@code qemu-io} through a command runner: on this machine, or on the remote host over ssh.
 */
public final class PulledChain {
    private static final long MIB = 1 << 20;
    /** The disk's size. */
    public static final long SIZE = 8 * MIB;
    /** Per layer, bottom first: pattern, offset, length. */
    private static final long[][] WRITES = {
        {0x10, 0, 4 * MIB},
        {0x11, MIB, MIB},
        {0x12, 2 * MIB, MIB},
        {0x13, 3 * MIB / 2, MIB},
        {0x14, 3 * MIB, MIB / 2},
    };

    /** The images, bottom first. */
    public final List<String> images;
    private final Function<List<String>, String> run;

    private PulledChain(List<String> images, Function<List<String>, String> run) {
        this.images = images;
        this.run = run;
    }

    /**
     * Makes the chain in {@code dir}, each image naming its backing image by its absolute path.
     *
     * @param top the top image's path (a domain's disk, say), or null for {@code dir/l4.qcow2}
     * @param run runs a command (one argument per word), returning its output and failing on a non-zero exit
     */
    public static PulledChain make(String dir, String top, Function<List<String>, String> run) {
        List<String> images = new ArrayList<>();
        for (int i = 0; i < WRITES.length; i++) {
            String image = i == WRITES.length - 1 && top != null ? top : dir + "/l" + i + ".qcow2";
            List<String> create = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2"));
            if (i > 0) {
                create.addAll(List.of("-b", images.get(i - 1), "-F", "qcow2"));
            }
            create.addAll(List.of(image, Long.toString(SIZE)));
            run.apply(create);
            run.apply(List.of("qemu-io", "-f", "qcow2", "-c", String.format("write -P 0x%02x %d %d", WRITES[i][0],
                    WRITES[i][1], WRITES[i][2]), image));
            images.add(image);
        }
        return new PulledChain(List.copyOf(images), run);
    }

    /** @return the top image, the active layer */
    public String top() {
        return images.get(images.size() - 1);
    }

    /**
     * @return the {@code qemu-io} reads (pattern, offset, length) that the top image, read through its chain,
     *         passes: the layers' writes, each over those below, and zeros after them
     */
    public static List<String> expectedReads() {
        byte[] disk = new byte[(int) (SIZE / (MIB / 2))]; // in half-MiB units: every write is aligned on one
        for (long[] w : WRITES) {
            for (long o = w[1]; o < w[1] + w[2]; o += MIB / 2) {
                disk[(int) (o / (MIB / 2))] = (byte) w[0];
            }
        }
        Map<Long, long[]> runs = new LinkedHashMap<>();
        long start = 0;
        for (int u = 1; u <= disk.length; u++) {
            if (u == disk.length || disk[u] != disk[u - 1]) {
                runs.put(start * (MIB / 2), new long[] {disk[u - 1] & 0xff, (u - start) * (MIB / 2)});
                start = u;
            }
        }
        List<String> reads = new ArrayList<>();
        runs.forEach((offset, r) -> reads.add(String.format("read -P 0x%02x %d %d", r[0], offset, r[1])));
        return reads;
    }

    /** Checks with {@code qemu-io} (read-only, shared) that {@code image} shows the chain's content. */
    public void assertShowsTheChain(String image, String when) {
        for (String read : expectedReads()) {
            String out = run.apply(List.of("qemu-io", "-r", "-U", "-f", "qcow2", "-c", read, image));
            assertTrue(!out.contains("verification failed"), when + ": " + image + " fails " + read + ": " + out);
        }
    }

    /** Flattens the top image into a raw reference file (to compare with later). */
    public void reference(String raw) {
        run.apply(List.of("qemu-img", "convert", "-U", "-f", "qcow2", "-O", "raw", top(), raw));
    }

    /** Checks with {@code qemu-img compare} that {@code image} shows what the raw reference holds. */
    public void assertSameAs(String image, String raw, String when) {
        String out = run.apply(List.of("qemu-img", "compare", "-U", "-f", "qcow2", "-F", "raw", image, raw));
        assertTrue(out.contains("Images are identical"), when + ": " + out);
    }

    /** Checks that {@code image}'s header names {@code backing}, by that very path, with format qcow2. */
    public void assertBacking(String image, String backing, String when) {
        String json = run.apply(List.of("qemu-img", "info", "-U", "--output=json", "-f", "qcow2", image));
        assertTrue(json.contains("\"backing-filename\": \"" + backing + "\""), when + ": " + json);
        assertTrue(json.contains("\"backing-filename-format\": \"qcow2\""), when + ": " + json);
    }

    /** @return the SHA-256 of every image but the top, by path (to check that a pull wrote none of them) */
    public Map<String, String> hashesBelowTop() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String image : images.subList(0, images.size() - 1)) {
            out.put(image, hash(image));
        }
        return out;
    }

    /** @return the SHA-256 of one image */
    public String hash(String image) {
        return run.apply(List.of("sha256sum", image)).trim().split("\\s+")[0];
    }

    /** Checks that no image below the top changed since {@code before}. */
    public void assertBelowTopUnchanged(Map<String, String> before, String when) {
        assertEquals(before, hashesBelowTop(), when + ": a pull writes no image but the one pulled into");
    }
}
