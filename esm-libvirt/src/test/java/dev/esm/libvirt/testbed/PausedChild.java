package dev.esm.libvirt.testbed;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ChildOperation} in a JVM of its own, the leader of its own process group, that stops at a chosen step and
 * stays there (its step listener sleeps) until the test kills it: {@code "KIND[#n]"} at the step's start, before its
 * first call; {@code "after:KIND[#n]"} at its end, after its last call; {@code "copy:n"} in the middle of a move's
 * n-th file copy. Its output is kept for the failure messages.
 */
public final class PausedChild implements AutoCloseable {
    /** How long the child sleeps at the step: longer than any test waits for it. */
    private static final long PAUSE_MILLIS = 600_000;

    private final String pause;
    private final Process process;
    private final List<String> out = Collections.synchronizedList(new ArrayList<>());
    private final Thread reader;

    /**
     * @param pause where it stops: {@code KIND[#n]}, {@code after:KIND[#n]} or {@code copy:n}
     * @param args {@link ChildOperation}'s arguments after the URI: the domain, the operation, its arguments
     */
    public PausedChild(String uri, String pause, String... args) throws IOException {
        this.pause = pause;
        List<String> cmd = new ArrayList<>(List.of("setsid", "java", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-D" + ChildOperation.STEPS + "=true",
                "-D" + (pause.startsWith("after:") ? ChildOperation.PAUSE_AFTER + "=" + pause.substring(6)
                        : pause.startsWith("copy:") ? ChildOperation.PAUSE_IN_COPY + "=" + pause.substring(5)
                        : ChildOperation.PAUSE_AT + "=" + pause),
                "-D" + ChildOperation.PAUSE_MILLIS + "=" + PAUSE_MILLIS, ChildOperation.class.getName(), uri));
        cmd.addAll(List.of(args));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    synchronized (out) {
                        out.add(l);
                        out.notifyAll();
                    }
                }
            } catch (IOException ended) {
                // the process ended
            }
            synchronized (out) {
                out.notifyAll();
            }
        }, "paused-child-out");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Waits until the child is at its pause: its marker ({@code STEP KIND}, the n-th; {@code DONE KIND} for a pause
     * after a step; {@code COPYING n} in a copy) was printed; fails if the child ends first.
     */
    public void awaitPause() throws InterruptedException {
        if (pause.startsWith("copy:")) {
            awaitMarker("COPYING", pause.substring(5), 1);
            return;
        }
        String spec = pause.startsWith("after:") ? pause.substring(6) : pause;
        int hash = spec.indexOf('#');
        awaitMarker(pause.startsWith("after:") ? "DONE" : "STEP", hash < 0 ? spec : spec.substring(0, hash),
                hash < 0 ? 1 : Integer.parseInt(spec.substring(hash + 1)));
    }

    /** Waits until the child printed a line starting with {@code prefix} (a step's start, before its pause). */
    public void awaitStarted(String prefix) throws InterruptedException {
        int space = prefix.indexOf(' ');
        awaitMarker(prefix.substring(0, space), prefix.substring(space + 1), 1);
    }

    private void awaitMarker(String marker, String kind, int occurrence) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        synchronized (out) {
            while (true) {
                long seen = out.stream().filter(l -> l.startsWith(marker + " " + kind + " ")).count();
                if (seen >= occurrence) {
                    return;
                }
                if (!reader.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("the child never showed " + marker + " " + kind + " #" + occurrence
                            + transcript());
                }
                out.wait(100);
            }
        }
    }

    /** @return whether the child still runs (a paused child does: it sleeps in its listener) */
    public boolean alive() {
        return process.isAlive();
    }

    /** Kills the child's whole process group with SIGKILL and waits for it to end. */
    public void killGroup() throws Exception {
        new ProcessBuilder("kill", "-9", "--", "-" + process.pid()).start().waitFor();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the child did not end after SIGKILL" + transcript());
        }
        reader.join(5000);
    }

    /** @return what the child printed so far, for a failure message */
    public String transcript() {
        synchronized (out) {
            return "\n--- child (pid " + process.pid() + ") output:\n" + String.join("\n", out);
        }
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            killGroup();
        }
    }
}
