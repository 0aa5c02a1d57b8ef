package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.MergeCommand;
import dev.esm.api.SnapshotManager;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What outlives one command line: the open connections (one {@link SnapshotManager} per URI, opened on first use
 * and reused by every later command of a batch or shell), the output streams, and what Ctrl-C should do now.
 * Thread-safety: the command runs on one thread; {@link #interrupt()} comes from the signal thread.
 */
final class Session implements AutoCloseable {
    /** Exit code of a command that was interrupted (128 + SIGINT). */
    static final int INTERRUPTED = 130;

    final PrintStream out;
    final PrintStream err;
    /** Whether {@link #err} is the process's standard error (so a terminal check on fd 2 means something). */
    final boolean realStderr;
    private final Map<String, SnapshotManager> managers = new LinkedHashMap<>();
    private final Map<String, DomainSnapshots> domains = new java.util.HashMap<>();
    /** Where the command being run came from, for error messages ("FILE:LINE: "), or empty. */
    String where = "";
    /** Whether a command is running inside a batch or shell (where -f and shell are refused). */
    boolean nested;

    private final Object lock = new Object();
    private MergeCommand<?> merging;
    private boolean changing;
    private boolean interrupted;

    Session(PrintStream out, PrintStream err, boolean realStderr) {
        this.out = out;
        this.err = err;
        this.realStderr = realStderr;
    }

    /** @return the manager for {@code uri} (null: the default URI), connecting on first use */
    SnapshotManager manager(String uri) {
        String key = uri == null ? SnapshotManager.defaultUri() : uri;
        SnapshotManager m = managers.get(key);
        if (m == null) {
            m = SnapshotManager.connect(key);
            managers.put(key, m);
        }
        return m;
    }

    /** Serves {@code uri} with {@code manager}, closed with this session (the class-data-sharing training run). */
    void use(String uri, SnapshotManager manager) {
        managers.put(uri, manager);
    }

    /**
     * @return the domain's handle, looked up once per session: a handle holds no libvirt object, and its commands
     *         check for unfinished operations themselves, so a batch need not look the domain up for every line
     */
    DomainSnapshots domain(String uri, String name) {
        String key = (uri == null ? SnapshotManager.defaultUri() : uri) + "\n" + name;
        DomainSnapshots d = domains.get(key);
        if (d == null) {
            d = manager(uri).domain(name);
            domains.put(key, d);
        }
        return d;
    }

    @Override
    public void close() {
        for (SnapshotManager m : managers.values()) {
            try {
                m.close();
            } catch (RuntimeException e) {
                err.println("esm: closing the connection to " + m.uri() + " failed: "
                        + dev.esm.api.SnapshotName.printable(e.getMessage() == null ? e.toString() : e.getMessage()));
            }
        }
        managers.clear();
        domains.clear();
    }

    /**
     * Marks a changing command as running until {@link #finished()}: Ctrl-C then cancels it if it can be cancelled
     * (a merge), else waits for it to end.
     */
    void running(Object command) {
        synchronized (lock) {
            changing = true;
            merging = command instanceof MergeCommand<?> m ? m : null;
            if (interrupted && merging != null) {
                merging.cancel();
            }
        }
    }

    /** @return whether Ctrl-C came while the command ran (the caller then ends with {@link #INTERRUPTED}) */
    boolean finished() {
        synchronized (lock) {
            changing = false;
            merging = null;
            boolean was = interrupted;
            interrupted = false;
            return was;
        }
    }

    /**
     * Ctrl-C (SIGINT): cancels a running merge (the command then fails with exit 130), lets any other changing
     * command finish (then exit 130), and otherwise ends the process with exit 130 at once.
     */
    void interrupt() {
        synchronized (lock) {
            if (!changing) {
                err.println();
                err.flush();
                Runtime.getRuntime().halt(INTERRUPTED);
            }
            if (interrupted) {
                err.println("\nesm: still stopping safely; please wait");
            } else if (merging != null) {
                err.println("\nesm: cancelling the merge; every surviving snapshot keeps its data");
                merging.cancel();
            } else {
                err.println("\nesm: interrupted; finishing the step under way first (it cannot be cancelled)");
            }
            err.flush();
            interrupted = true;
        }
    }

    /**
     * Whether to draw progress bars: {@code ESM_PROGRESS=always} or {@code never} decide; otherwise only when
     * standard error is a terminal and {@code TERM} is not {@code dumb}. Java cannot ask isatty(2) directly: on
     * Linux the link {@code /proc/self/fd/2} names the terminal device ({@code /dev/pts/N}, {@code /dev/ttyN});
     * elsewhere {@link System#console()} (standard input and output are a terminal) is the fallback.
     */
    boolean progressWanted() {
        String forced = System.getenv("ESM_PROGRESS");
        if ("always".equals(forced)) {
            return true;
        }
        if ("never".equals(forced) || !realStderr || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        return stderrIsTerminal();
    }

    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return System.console() != null;
        }
    }
}
