package dev.esm.libvirt.internal.local;

import dev.esm.api.errors.StorageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the helper programs ESM needs ({@code qemu-img}) so that they keep their promises:
 * <ul>
 *   <li>standard output and standard error are read at the same time, each by its own thread, so a child that
 *       fills one pipe while ESM waits on the other never blocks (and JSON on stdout is never mixed with
 *       warnings on stderr);</li>
 *   <li>the time limit holds even when the child hangs without closing its output: ESM waits for the process,
 *       not for the end of its output, and kills it at the limit;</li>
 *   <li>a child dies with the JVM: where util-linux's {@code setpriv} is installed, the child is started through
 *       {@code setpriv --pdeathsig KILL}, which asks the kernel (PR_SET_PDEATHSIG, not reachable from Java) to
 *       kill it when the thread that started it ends, and then becomes the program itself (exec). So a SIGKILLed
 *       JVM leaves no {@code qemu-img} holding an image's write lock, and recovery can redo the merge.</li>
 * </ul>
 * Stateless; thread-safe.
 */
public final class ChildProcess {
    private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);
    /** {@code setpriv}, if installed: what ties a child's life to ours. */
    public static final Optional<String> SETPRIV = find("setpriv");

    private ChildProcess() {
    }

    /**
     * What a child printed.
     *
     * @param exit its exit status
     * @param out its standard output
     * @param err its standard error
     */
    public record Result(int exit, String out, String err) {
    }

    /** @return the command, started so that the child is killed when this JVM (the starting thread) dies */
    public static List<String> tied(List<String> command) {
        if (SETPRIV.isEmpty()) {
            return command;
        }
        List<String> out = new ArrayList<>(List.of(SETPRIV.get(), "--pdeathsig", "KILL", "--"));
        out.addAll(command);
        return out;
    }

    /**
     * Runs a command to its end, or kills it at the time limit.
     *
     * @param doing what ESM is doing, for messages
     * @param command the program and its arguments
     * @param limit how long it may take
     * @return its exit status and output
     * @throws StorageException if it cannot be started, is interrupted or takes longer than {@code limit}
     */
    public static Result run(String doing, List<String> command, Duration limit) {
        LOG.debug("running {}", command);
        Process p;
        try {
            p = new ProcessBuilder(tied(command)).start();
        } catch (IOException e) {
            throw new StorageException(doing + ": cannot run " + command.get(0) + " (" + e.getMessage()
                    + "); install qemu-utils", e);
        }
        Drain out = new Drain(p.getInputStream(), "esm-child-out");
        Drain err = new Drain(p.getErrorStream(), "esm-child-err");
        try {
            p.getOutputStream().close();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(p);
                throw new StorageException(doing + ": " + command.get(0) + " did not finish in " + limit.toSeconds()
                        + " s and was stopped; check that the image is not on a hung file system and retry");
            }
            return new Result(p.exitValue(), out.text(), err.text());
        } catch (IOException e) {
            kill(p);
            throw new StorageException(doing + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new StorageException(doing + " was interrupted", e);
        }
    }

    /**
     * Ends what a stopped ESM process may have left working on an image where {@code setpriv} was missing (or the
     * JVM died before the child's signal was set): every process of this user that has the image's path as one
     * of its arguments and each of {@code words} in its command line. Called under the domain's lock, where no live ESM process can be working
     * on that image.
     *
     * @return how many were ended
     */
    public static int endLeftovers(String image, String... words) {
        long self = ProcessHandle.current().pid();
        int ended = 0;
        for (ProcessHandle h : ProcessHandle.allProcesses().toList()) {
            List<String> args = java.util.Arrays.asList(h.info().arguments().orElse(new String[0]));
            String line = h.info().commandLine().orElse("");
            if (h.pid() == self || !args.contains(image) || !java.util.Arrays.stream(words).allMatch(line::contains)) {
                continue;
            }
            LOG.info("ending {} (pid {}), left by a stopped process: {}", words[0], h.pid(), line);
            h.destroyForcibly();
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
                ended++;
            } catch (Exception e) {
                LOG.warn("{} (pid {}) did not end: {}", words[0], h.pid(), e.toString());
            }
        }
        return ended;
    }

    /** Kills a child and waits (briefly) until it is gone. */
    public static void kill(Process p) {
        p.destroyForcibly();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                LOG.warn("{} (pid {}) did not end within 10 s of SIGKILL", p.info().command().orElse("a child"),
                        p.pid());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Optional<String> find(String program) {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p.toString());
            }
        }
        return Optional.empty();
    }

    /** Reads one output of a child to its end on a thread of its own. */
    private static final class Drain {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Thread thread;

        public Drain(InputStream in, String name) {
            thread = new Thread(() -> {
                byte[] b = new byte[8192];
                try (in) {
                    for (int n; (n = in.read(b)) > 0; ) {
                        synchronized (bytes) {
                            bytes.write(b, 0, n);
                        }
                    }
                } catch (IOException e) {
                    LOG.debug("reading a child's output ended: {}", e.toString());
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
        }

        /** @return what was read; waits a moment for the rest once the process has ended */
        public String text() throws InterruptedException {
            thread.join(5000);
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
