package dev.esm.bench.harness;

import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What {@code qemu-img bench} took, for the sections that measure images on the host. */
public final class QemuTools {
    private static final Pattern COMPLETED = Pattern.compile("Run completed in ([0-9.]+) seconds");

    private QemuTools() {
    }

    /**
     * Runs {@code qemu-img bench} on a qcow2 image, O_DIRECT ({@code -t none}).
     *
     * @param write writes ({@code -w}) or reads
     * @param depth the queue depth
     * @param count how many requests
     * @param bytes the size of each
     * @param step the distance between the offsets of two requests in turn
     * @return the milliseconds it reports for the requests
     */
    public static double bench(String image, boolean write, int depth, int count, int bytes, long step)
            throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of("qemu-img", "bench", "-f", "qcow2", "-t", "none",
                "-d", Integer.toString(depth), "-c", Integer.toString(count), "-s", Integer.toString(bytes),
                "-S", Long.toString(step)));
        if (write) {
            cmd.add(2, "-w");
        }
        cmd.add(image);
        String out;
        try {
            out = Processes.execOut(cmd);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        Matcher m = COMPLETED.matcher(out);
        if (!m.find()) {
            throw new IOException("qemu-img bench said: " + out);
        }
        return Double.parseDouble(m.group(1)) * 1000;
    }
}
