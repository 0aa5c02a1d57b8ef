package dev.esm.bench.harness;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the processes a benchmark compares with or prepares with ({@code virsh}, {@code qemu-img}, {@code cp}). */
public final class Processes {
    private Processes() {
    }

    /** Runs {@code cmd} to its end; throws when it fails or runs for more than 300 s. */
    public static void exec(List<String> cmd) throws IOException, InterruptedException {
        execOut(cmd);
    }

    /** @return what {@code cmd} printed (stdout and stderr), after it ended; throws as {@link #exec} */
    public static String execOut(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(cmd + " failed: " + out);
        }
        return out;
    }
}
