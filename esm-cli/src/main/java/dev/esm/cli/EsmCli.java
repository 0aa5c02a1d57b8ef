package dev.esm.cli;
import dev.esm.api.SnapshotName;
import dev.esm.api.errors.DomainBusyException;
import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.api.errors.DomainStateException;
import dev.esm.api.errors.EsmException;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.errors.LeaseLostException;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.api.errors.SnapshotNotFoundException;
import dev.esm.api.errors.StorageException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code esm}: the original bash tool's commands, with the original's argument order, over ESM's API; plus a
 * batch mode ({@code -f FILE}) and an interactive prompt ({@code esm shell}) that run many commands on one
 * connection.
 *
 * <p>Exit codes: 0 success; 1 an unexpected failure; 2 bad usage; 3 unknown domain or snapshot; 4 the operation
 * does not apply (invalid name, existing snapshot, unsupported disk, refused merge); 5 the domain is in the wrong
 * state or busy; 6 libvirt or storage failed; 7 verify found problems; 130 cancelled or interrupted.
 */
@CommandLine.Command(name = "esm", mixinStandardHelpOptions = true, versionProvider = EsmCli.Version.class,
        usageHelpAutoWidth = true,
        header = "Safe libvirt external snapshots.",
        synopsisSubcommandLabel = "[COMMAND]",
        description = {"Takes, reverts, deletes and merges external snapshots of libvirt domains, all disks at once.",
                "Without a command, when standard input and output are a terminal, esm opens its interactive "
                        + "prompt (see 'esm help shell'); "
                        + "'esm -f FILE' runs one command a line from FILE ('-' for standard input) on one "
                        + "connection."},
        commandListHeading = "%nCommands:%n",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"  0:success", "  1:unexpected failure", "  2:bad usage",
                "  3:unknown domain or snapshot",
                "  4:the operation does not apply (invalid name, existing snapshot, unsupported disk, refused merge)",
                "  5:wrong domain state, or the domain is busy", "  6:libvirt or storage failure",
                "  7:verify found problems",
                "  8:lost the domain to another client part-way (the message says what became of the operation; 0"
                        + " when that client completed it)",
                "130:cancelled or interrupted (Ctrl-C)"},
        footer = {"%nSee 'esm help COMMAND' for one command's arguments."})
public final class EsmCli implements Callable<Integer> {
    /** The exit code of a command that lost its domain's lease to another client, which did not complete it. */
    static final int LEASE_LOST = 8;

    /**
     * The subcommands, in the order help lists them. They are added to the model in code rather than in the
     * annotation so that a one-shot command builds the model of that command only: picocli reads each command's
     * annotations by reflection, which was a quarter of the start-up time when all fifteen were built for one.
     * One top-level class a command (Setup, Create, ... Completion; their shared parts in Sub, Changing, Reverting,
     * Reading and DomainArgs), each named here by a constructor reference only, so that neither its annotations
     * are read nor its object is made unless that command runs.
     */
    static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("setup", Setup::new);
        COMMANDS.put("create", Create::new);
        COMMANDS.put("revert", Revert::new);
        COMMANDS.put("delete", Delete::new);
        COMMANDS.put("refresh", Refresh::new);
        COMMANDS.put("commit", Commit::new);
        COMMANDS.put("list", ListCmd::new);
        COMMANDS.put("tree", Tree::new);
        COMMANDS.put("current", Current::new);
        COMMANDS.put("info", Info::new);
        COMMANDS.put("verify", Verify::new);
        COMMANDS.put("recover", Recover::new);
        COMMANDS.put("move", Move::new);
        COMMANDS.put("replicate", Replicate::new);
        COMMANDS.put("shell", Shell::new);
        COMMANDS.put("completion", Completion::new);
        COMMANDS.put("help", CommandLine.HelpCommand::new);
    }

    /** The only commands that need every other command's model: they list, complete or run them. */
    private static final Set<String> NEED_ALL = Set.of("shell", "completion", "help");

    @Option(names = "--uri", scope = ScopeType.INHERIT, paramLabel = "URI",
            description = "libvirt URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)")
    String uri;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "show stack traces and info logging")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, description = "print nothing on success")
    boolean quiet;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "run the commands in FILE, one a line ('-': standard input), on one connection; stops at "
                    + "the first failing command with its exit code")
    String file;

    @Option(names = {"-k", "--keep-going"},
            description = "with -f: run every line even after a failure; the exit code is the first failure's")
    boolean keepGoing;

    @Spec
    CommandSpec spec;

    final Session session;

    EsmCli(Session session) {
        this.session = session;
    }

    /**
     * Runs the tool in this process with its own connections, closed at the end.
     *
     * @param args the command line
     * @param out standard output
     * @param err standard error
     * @return the exit code
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        try (Session session = new Session(out, err, false)) {
            return commandLine(session, only(args)).execute(args);
        }
    }

    /**
     * The {@code esm} process: logging on stderr at warn (info with {@code -v}, error with {@code -q}), Ctrl-C
     * handled, exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        Trace.mark("main");
        // Logging goes to stderr; quiet unless asked (set before the first logger is made).
        boolean verbose = logLevel(args).equals("info");
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", logLevel(args));
        }
        // The executor's warnings narrate a failure whose exception the tool prints as its one line on stderr
        // (a step that failed, what was undone): shown with --verbose only.
        String executor = "org.slf4j.simpleLogger.log.dev.esm.core.engine.Executor";
        if (!verbose && System.getProperty(executor) == null) {
            System.setProperty(executor, "error");
        }
        int code;
        try (Session session = new Session(System.out, System.err, true)) {
            Interrupts.install(session);
            java.util.Optional<PlainRead.Line> plain = PlainRead.parse(args);
            if (plain.isPresent()) {
                code = PlainRead.run(plain.get(), session);
            } else {
                CommandLine cl = commandLine(session, only(args));
                Trace.mark("model built");
                code = cl.execute(args);
            }
        }
        stopLibvirtEvents();
        Trace.mark("done");
        System.exit(code);
    }

    /**
     * @return the level ESM's log lines reach stderr from: info with {@code -v}, error with {@code -q} (a warning is
     *     printed on success otherwise: a batch of a thousand creates printed one per create), else warn
     */
    static String logLevel(String[] args) {
        boolean verbose = false;
        boolean quiet = false;
        for (String a : args) {
            verbose |= a.equals("-v") || a.equals("--verbose");
            quiet |= a.equals("-q") || a.equals("--quiet");
        }
        return verbose ? "info" : quiet ? "error" : "warn";
    }

    /**
     * @return the one subcommand a command line runs, when its model alone is enough (not for help, completion,
     *         the shell, batches, or a command line without a known command); else null
     */
    static String only(String[] args) {
        boolean version = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--uri")) {
                i++;
            } else if (a.equals("-f") || a.equals("--file") || a.startsWith("--file=") || a.startsWith("-f")
                    && !a.startsWith("--")) {
                return null;
            } else if (!a.startsWith("-")) {
                return COMMANDS.containsKey(a) && !NEED_ALL.contains(a) ? a : null;
            } else {
                version |= a.equals("-V") || a.equals("--version");
            }
        }
        return version ? "" : null; // --version alone needs no subcommand at all
    }

    /**
     * Stops libvirt's event loop thread that esm-libvirt starts (for block-job events) before the process exits.
     * HotSpot's exit waits up to 300 ms for threads running native code to block, and that thread sits in libvirt's
     * poll(): a third of a one-shot command's time. Wakes the loop and waits for the thread to leave, briefly.
     */
    private static void stopLibvirtEvents() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("esm-libvirt-events")) {
                try {
                    org.libvirt.Library.stopEventLoop();
                    t.join(250);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception | LinkageError e) {
                    // Exiting anyway; at worst HotSpot waits its 300 ms.
                }
            }
        }
    }

    static CommandLine commandLine(Session session) {
        return commandLine(session, null);
    }

    /** @param only build the model of this subcommand only; null: of all */
    static CommandLine commandLine(Session session, String only) {
        EsmCli root = new EsmCli(session);
        CommandLine cl = new CommandLine(root);
        for (Map.Entry<String, Supplier<Object>> c : COMMANDS.entrySet()) {
            if (only == null || only.equals(c.getKey())) {
                cl.addSubcommand(c.getKey(), c.getValue().get());
            }
        }
        cl.setOut(new PrintWriter(session.out, true));
        cl.setErr(new PrintWriter(session.err, true));
        cl.setExecutionExceptionHandler((ex, line, parse) -> {
            // ESM's messages are one line already; others (a bug's, picocli's) may quote a name with a line feed
            session.err.println("esm: " + SnapshotName.printable(session.where + ex.getMessage()));
            if (root.verbose) {
                ex.printStackTrace(session.err);
            }
            return exitCode(ex);
        });
        if (session.nested) {
            // Inside a batch or shell: later flags win over the batch's (--uri on a line over the one of -f).
            cl.setOverwrittenOptionsAllowed(true);
            cl.setParameterExceptionHandler((ex, args) -> {
                session.err.println("esm: " + SnapshotName.printable(session.where + ex.getMessage()));
                CommandLine sub = ex.getCommandLine();
                session.err.println("     see 'help" + (sub.getCommandSpec() == root.spec ? "" : " "
                        + sub.getCommandName()) + "'");
                return 2;
            });
        }
        return cl;
    }

    /** {@code esm} without a command: the prompt on a terminal, {@code -f} when given, else usage. */
    @Override
    public Integer call() throws IOException {
        if (session.nested) {
            throw new CommandLine.ParameterException(spec.commandLine(), file != null
                    ? "-f cannot be used inside a batch or the shell" : "missing command");
        }
        if (file != null) {
            return batch();
        }
        if (System.console() != null) {
            return shell(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
        }
        session.err.println("esm: missing command (standard input and output are not both a terminal, so no "
                + "prompt; 'esm shell' opens it anyway, 'esm -f -' runs the commands on standard input)");
        spec.commandLine().usage(session.err);
        return 2;
    }

    private int batch() throws IOException {
        if (file.equals("-")) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            return Batch.runLines("stdin", in, session, keepGoing, lineRunner());
        }
        Path p = Path.of(file);
        if (!Files.isReadable(p)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "cannot read " + file);
        }
        try (BufferedReader in = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
            return Batch.runLines(file, in, session, keepGoing, lineRunner());
        }
    }

    int shell(BufferedReader in) throws IOException {
        return Batch.shell(in, session, lineRunner());
    }

    /**
     * A batch in this process: each {@link Lines#run} is one line of {@code esm -f} (the same command model, reused,
     * and the same connections, opened at the first command). For the benchmark, which runs it next to the API in
     * one JVM to tell the tool's own cost per command from a second JVM's.
     *
     * @param out standard output of the commands
     * @param err standard error of the commands
     * @return the runner; close it to close its connections
     */
    public static Lines lines(PrintStream out, PrintStream err) {
        Session session = new Session(out, err, false);
        session.nested = true;
        return new Lines(session, commandLine(session));
    }

    /** Command lines run one after another on one session; see {@link #lines(PrintStream, PrintStream)}. */
    public static final class Lines implements AutoCloseable {
        private final Session session;
        private final CommandLine model;

        private Lines(Session session, CommandLine model) {
            this.session = session;
            this.model = model;
        }

        /**
         * @param words one command line, as a line of a batch splits into words
         * @return its exit code
         */
        public int run(String... words) {
            return model.execute(words);
        }

        @Override
        public void close() {
            session.close();
        }
    }

    /** One command line for every line of a batch, with this command line's global options in front. */
    private ToIntFunction<List<String>> lineRunner() {
        session.nested = true;
        CommandLine lines = commandLine(session);
        List<String> globals = new ArrayList<>();
        if (uri != null) {
            globals.add("--uri=" + uri);
        }
        if (verbose) {
            globals.add("--verbose");
        }
        if (quiet) {
            globals.add("--quiet");
        }
        return words -> {
            List<String> args = new ArrayList<>(globals);
            args.addAll(words);
            return lines.execute(args.toArray(String[]::new));
        };
    }

    static int exitCode(Throwable e) {
        if (e instanceof LeaseLostException lost) {
            return lost.tookEffect() ? 0 : LEASE_LOST;
        }
        if (e instanceof DomainNotFoundException || e instanceof SnapshotNotFoundException) {
            return 3;
        }
        if (e instanceof DomainStateException || e instanceof DomainBusyException) {
            return 5;
        }
        if (e instanceof HypervisorException || e instanceof StorageException) {
            return 6;
        }
        if (e instanceof OperationCancelledException) {
            return Session.INTERRUPTED;
        }
        if (e instanceof EsmException) {
            return 4;
        }
        return 1;
    }

    /** Reads the version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = EsmCli.class.getPackage().getImplementationVersion();
            return new String[] {"esm " + (v == null ? "(development build)" : v)};
        }
    }
}
