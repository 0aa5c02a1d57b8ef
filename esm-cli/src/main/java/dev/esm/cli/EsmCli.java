package dev.esm.cli;

import dev.esm.api.Command;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageInfo;
import dev.esm.api.MergeCommand;
import dev.esm.api.Plan;
import dev.esm.api.RevertCommand;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.SnapshotInfo;
import dev.esm.api.SnapshotName;
import dev.esm.api.StepKind;
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
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
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
     * The {@code esm} process: logging on stderr at warn (info with {@code -v}), Ctrl-C handled, exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        Trace.mark("main");
        // Logging goes to stderr; quiet unless asked (set before the first logger is made).
        boolean verbose = false;
        for (String a : args) {
            verbose |= a.equals("-v") || a.equals("--verbose");
        }
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
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
            CommandLine cl = commandLine(session, only(args));
            Trace.mark("model built");
            code = cl.execute(args);
        }
        stopLibvirtEvents();
        Trace.mark("done");
        System.exit(code);
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

    /** What every subcommand shares: the connection, the domain, output. */
    abstract static class Sub implements Callable<Integer> {
        @CommandLine.ParentCommand
        EsmCli root;

        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        /** Prints a line of human output; names in it (the domain's as given) are shown as in error messages. */
        void say(String line) {
            if (!root.quiet) {
                out().println(SnapshotName.printable(line));
            }
        }

        DomainSnapshots domain(String domain) {
            Trace.mark("parsed");
            root.session.manager(root.uri);
            Trace.mark("connected");
            DomainSnapshots d = root.session.domain(root.uri, domain);
            Trace.mark("domain opened");
            return d;
        }

        <T> T withDomain(String domain, Function<DomainSnapshots, T> action) {
            return action.apply(domain(domain));
        }
    }

    /** The parameter every command on one domain takes: one definition, mixed in. */
    static final class DomainArgs {
        @Parameters(index = "0", paramLabel = "<domain>", description = "the libvirt domain (its name)")
        String domain;
    }

    /** A changing command: runs, or prints its plan with --dry-run; --json for both. */
    abstract static class Changing extends Sub {
        @CommandLine.Mixin
        DomainArgs args;

        @Option(names = {"-n", "--dry-run"}, description = "print the plan; change nothing")
        boolean dryRun;

        @Option(names = "--json", description = "print the result (or the plan) as JSON")
        boolean json;

        /**
         * Runs the command or prints its plan.
         *
         * @param d the args.domain
         * @param command the command, options set
         * @param human the line printed on success
         * @param jsonFields the result's JSON fields after "operation" and "domain"
         */
        <R> int runOrPlan(DomainSnapshots d, Command<R> command, Function<R, String> human,
                          Function<R, Map<String, String>> jsonFields) {
            if (dryRun) {
                Plan plan = command.plan();
                out().print(json ? Json.plan(plan) + "\n" : plan.render());
                out().flush();
                return 0;
            }
            Set<String> before = null;
            List<String> merges = null;
            if (json && command instanceof MergeCommand<?>) {
                before = d.chain().snapshots().stream().map(Snapshot::name).collect(Collectors.toSet());
                merges = command.plan().steps().stream().filter(s -> s.kind() == StepKind.MERGE).map(Json::step)
                        .toList();
            }
            Session session = root.session;
            ProgressBar bar = null;
            if (command instanceof MergeCommand<?> m && !root.quiet && session.progressWanted()) {
                bar = new ProgressBar(session.err);
                m.progress(bar);
            }
            R result;
            boolean interrupted;
            session.running(command);
            try {
                result = command.execute();
            } catch (RuntimeException e) {
                if (session.finished() && !(e instanceof OperationCancelledException)) {
                    // A terminal's Ctrl-C reaches the whole process group: qemu-img dies of it before ESM's
                    // cancel() stops it, and ESM sees a failed merge (cleaned up the same way). Say what happened.
                    throw new OperationCancelledException("cancelled (Ctrl-C): " + e.getMessage(), e);
                }
                throw e;
            } finally {
                interrupted = session.finished();
                if (bar != null) {
                    bar.done();
                }
            }
            if (json) {
                Map<String, String> o = new LinkedHashMap<>();
                o.put("operation", Json.str(spec.name()));
                o.put("domain", Json.str(d.name()));
                o.putAll(jsonFields.apply(result));
                if (before != null && result instanceof SnapshotChain after) {
                    Set<String> left = after.snapshots().stream().map(Snapshot::name).collect(Collectors.toSet());
                    o.put("removed", Json.strings(before.stream().filter(n -> !left.contains(n)).sorted().toList()));
                    o.put("merged", Json.array(merges));
                }
                out().println(Json.object(o));
            } else {
                say(human.apply(result));
            }
            if (interrupted) {
                session.err.println("esm: " + session.where + "interrupted; the command had completed");
                return Session.INTERRUPTED;
            }
            return 0;
        }

        static Map<String, String> chainFields(SnapshotChain chain) {
            Map<String, String> o = new LinkedHashMap<>();
            o.put("current", chain.current().map(c -> Json.snapshot(c, chain)).orElse("null"));
            o.put("snapshots", Json.strings(chain.snapshots().stream().map(Snapshot::name).toList()));
            return o;
        }
    }

    @CommandLine.Command(name = "setup", mixinStandardHelpOptions = true,
            header = "Set a shut-off domain up for snapshots in <path>/disks.",
            description = "Moves the domain's images to <path>/disks, freezes them as the base and puts the domain "
                    + "on fresh overlays, so that 'revert DOMAIN base' and 'refresh' work from the first minute. "
                    + "Refused once the domain has snapshots.")
    static final class Setup extends Changing {
        @Parameters(index = "1", paramLabel = "<path>", description = "a folder on the domain's host; 'disks' is "
                + "created in it")
        String path;

        @Override
        public Integer call() {
            String dir = Path.of(path).toAbsolutePath().normalize().toString();
            DomainSnapshots d = domain(args.domain);
            return runOrPlan(d, d.setup(dir), r -> "set up '" + args.domain + "' in " + dir + "/disks", r -> {
                Map<String, String> o = new LinkedHashMap<>();
                o.put("folder", Json.str(dir + "/disks"));
                o.putAll(chainFields(r));
                return o;
            });
        }
    }

    @CommandLine.Command(name = "create", mixinStandardHelpOptions = true,
            header = "Take a snapshot of all eligible disks at once.",
            description = "Takes snapshot <name> of every eligible disk at once, shut off or running; it becomes the"
                    + " current snapshot.")
    static final class Create extends Changing {
        @Parameters(index = "1", paramLabel = "<name>", description = "the new snapshot's name (letters, digits, "
                + "'.', '_', '-'; not 'base')")
        String name;
        @Option(names = {"-d", "--description"}, paramLabel = "TEXT", description = "a description kept with the "
                + "snapshot")
        String description;
        @Option(names = "--quiesce", description = "freeze guest file systems through the guest agent (running "
                + "domain with qemu-guest-agent)")
        boolean quiesce;
        @Option(names = "--memory", description = "also save RAM and device state (running or paused domain)")
        boolean memory;

        @Override
        public Integer call() {
            DomainSnapshots d = domain(args.domain);
            var c = d.snapshot(name);
            if (description != null) {
                c.description(description);
            }
            if (quiesce) {
                c.quiesce();
            }
            if (memory) {
                c.memory();
            }
            return runOrPlan(d, c, r -> "created snapshot '" + name + "' of '" + args.domain + "'", r -> {
                Map<String, String> o = new LinkedHashMap<>();
                o.put("created", Json.snapshot(r, true));
                o.put("current", Json.str(r.name()));
                return o;
            });
        }
    }

    /** Revert and refresh: they share --force and --start. */
    abstract static class Reverting extends Changing {
        @Option(names = {"-f", "--force"}, description = "power a running domain off first (its unsaved state is "
                + "lost)")
        boolean force;
        @Option(names = "--start", description = "start the domain afterwards")
        boolean start;
        @Option(names = "--running", description = "a memory snapshot: resume its running state")
        boolean running;
        @Option(names = "--paused", description = "a memory snapshot: restore its state, paused")
        boolean paused;

        int run(DomainSnapshots d, RevertCommand c, String done) {
            if (force) {
                c.stopIfRunning();
            }
            if (start) {
                c.start();
            }
            if (running) {
                c.running();
            }
            if (paused) {
                c.paused();
            }
            return runOrPlan(d, c, r -> done + " '" + r.name() + "'", r -> {
                Map<String, String> o = new LinkedHashMap<>();
                o.put("current", Json.snapshot(r, true));
                o.put("started", Boolean.toString(start));
                return o;
            });
        }
    }

    @CommandLine.Command(name = "revert", mixinStandardHelpOptions = true,
            header = "Go back to a snapshot (or the base); changes since are discarded.",
            description = "Puts the domain's disks on fresh empty overlays on top of snapshot <name> (or the base). "
                    + "The snapshot itself is not touched, so reverting to it again gives the same content.")
    static final class Revert extends Reverting {
        @Parameters(index = "1", paramLabel = "<name|base>", description = "the snapshot to go back to, or 'base'")
        String name;

        @Override
        public Integer call() {
            DomainSnapshots d = domain(args.domain);
            return run(d, d.revert(name), "reverted '" + args.domain + "' to");
        }
    }

    @CommandLine.Command(name = "refresh", mixinStandardHelpOptions = true,
            header = "Discard every change since the last create, revert or refresh.",
            description = "Reverts to the current snapshot (or the base).")
    static final class Refresh extends Reverting {

        @Override
        public Integer call() {
            DomainSnapshots d = domain(args.domain);
            return run(d, d.refresh(), "refreshed '" + args.domain + "' to");
        }
    }

    @CommandLine.Command(name = "delete", mixinStandardHelpOptions = true,
            header = "Delete a snapshot; what others need is merged.",
            description = {"Removes snapshot <name>; every other snapshot and the current state keep exactly their "
                    + "contents. Data others still need is merged (live block commit when the domain runs on those "
                    + "images, else qemu-img commit). Deleting the current snapshot makes its parent current.",
                    "Ctrl-C during a merge cancels it (exit 130) and leaves every surviving snapshot readable."})
    static final class Delete extends Changing {
        @Parameters(index = "1", paramLabel = "<name>", description = "the snapshot to delete (not 'base')")
        String name;

        @Override
        public Integer call() {
            DomainSnapshots d = domain(args.domain);
            return runOrPlan(d, d.delete(name), r -> "deleted snapshot '" + name + "' of '" + args.domain + "'",
                    Changing::chainFields);
        }
    }

    @CommandLine.Command(name = "commit", mixinStandardHelpOptions = true,
            header = "Merge away every snapshot after <base> up to <top>.",
            description = {"Removes every snapshot after <base> up to and including <top>, in one merge job per "
                    + "disk; <base> and the current state keep their contents. Refused where the merge would write "
                    + "into an image another branch stands on.",
                    "Ctrl-C during a merge cancels it (exit 130) and leaves every surviving snapshot readable."})
    static final class Commit extends Changing {
        @Parameters(index = "1", paramLabel = "<base>", description = "the snapshot (or 'base') that is kept and "
                + "receives the data")
        String base;
        @Parameters(index = "2", paramLabel = "<top>", description = "a descendant of <base>; removed with "
                + "everything between")
        String top;

        @Override
        public Integer call() {
            DomainSnapshots d = domain(args.domain);
            return runOrPlan(d, d.commit(base, top), r -> "committed '" + base + "'..'" + top + "' of '" + args.domain
                    + "'", Changing::chainFields);
        }
    }

    /** A read command with --json. */
    abstract static class Reading extends Sub {
        @CommandLine.Mixin
        DomainArgs args;
        @Option(names = "--json", description = "print JSON")
        boolean json;

        /** Reads without waiting for a running operation; says so on standard error when one may be under way. */
        @Override
        <T> T withDomain(String domain, Function<DomainSnapshots, T> action) {
            DomainSnapshots d = domain(domain);
            T result = action.apply(d);
            d.operationInProgress().ifPresent(busy -> root.session.err.println("esm: note: " + busy
                    + "; what is shown may be part-way through it"));
            return result;
        }
    }

    @CommandLine.Command(name = "list", mixinStandardHelpOptions = true,
            header = "List the snapshots, oldest first.",
            description = "One snapshot a line with its parent, time, state and description; * marks the current "
                    + "one.")
    static final class ListCmd extends Reading {
        @Override
        public Integer call() {
            SnapshotChain chain = withDomain(args.domain, DomainSnapshots::chain);
            if (json) {
                out().println(Json.array(chain.snapshots().stream().map(s -> Json.snapshot(s, chain)).toList()));
                return 0;
            }
            String current = chain.current().map(Snapshot::name).orElse("");
            out().printf("%-2s%-24s %-24s %-20s %-14s %s%n", "", "NAME", "PARENT", "CREATED", "STATE", "DESCRIPTION");
            for (Snapshot s : chain.snapshots()) {
                out().printf("%-2s%-24s %-24s %-20s %-14s %s%n", s.name().equals(current) ? "*" : "", s.name(),
                        s.parent().orElse("base"), s.creationTime().toString().replace('T', ' ').replace("Z", ""),
                        s.state().libvirtName(), s.description());
            }
            if ("base".equals(current)) {
                out().println("(current: base)");
            }
            return 0;
        }
    }

    @CommandLine.Command(name = "tree", mixinStandardHelpOptions = true,
            header = "Show the snapshot tree.",
            description = "Children are indented below their parent; * marks the current snapshot.")
    static final class Tree extends Reading {
        @Override
        public Integer call() {
            SnapshotChain chain = withDomain(args.domain, DomainSnapshots::chain);
            if (json) {
                List<String> items = new ArrayList<>();
                chain.base().ifPresent(b -> items.add(Json.snapshot(b, chain)));
                chain.snapshots().forEach(s -> items.add(Json.snapshot(s, chain)));
                out().println(Json.array(items));
            } else {
                out().print(chain.render());
                out().flush();
            }
            return 0;
        }
    }

    @CommandLine.Command(name = "current", mixinStandardHelpOptions = true,
            header = "Print the current snapshot's name.",
            description = "Prints 'base' when the domain runs on the base; exit 3 before anything froze the base.")
    static final class Current extends Reading {
        @Override
        public Integer call() {
            SnapshotChain chain = withDomain(args.domain, DomainSnapshots::chain);
            Snapshot c = chain.current().orElseThrow(() -> new SnapshotNotFoundException("domain '" + args.domain
                    + "' has no current snapshot and no frozen base yet"));
            out().println(json ? Json.snapshot(c, chain) : c.name());
            return 0;
        }
    }

    @CommandLine.Command(name = "verify", mixinStandardHelpOptions = true,
            header = "Check snapshots, metadata and image chains (exit 7 on problems).",
            description = "Checks the domain, its snapshots, libvirt's metadata and every image chain against each "
                    + "other, changing nothing. --json prints the problems as an array of strings.")
    static final class Verify extends Reading {
        @Override
        public Integer call() {
            List<dev.esm.api.Finding> problems = withDomain(args.domain, DomainSnapshots::check);
            if (json) {
                out().println(Json.findings(problems));
            } else if (problems.isEmpty()) {
                say("'" + args.domain + "' is consistent");
            } else {
                problems.forEach(p -> out().println("problem: " + p.message()));
            }
            return problems.isEmpty() ? 0 : 7;
        }
    }

    @CommandLine.Command(name = "recover", mixinStandardHelpOptions = true,
            header = "Finish or undo an operation a stopped process left.",
            description = "ESM journals every changing operation; one a killed process left is undone when only "
                    + "files had been made, else completed. Opening a domain does this too; this command says so.")
    static final class Recover extends Sub {
        @CommandLine.Mixin
        DomainArgs args;
        @Option(names = "--json", description = "print {\"domain\", \"recovered\"} as JSON")
        boolean json;

        @Override
        public Integer call() {
            // Opening the args.domain recovers what it finds; recover() then finds nothing: report either.
            java.util.Optional<dev.esm.api.Recovery> done = withDomain(args.domain, d -> {
                d.recover();
                return d.lastRecovery();
            });
            if (json) {
                out().println("{\"operation\":\"recover\",\"domain\":" + Json.str(args.domain) + ",\"recovered\":"
                        + done.isPresent() + done.map(r -> ",\"unfinished\":" + Json.str(r.operation().name()
                        .toLowerCase(java.util.Locale.ROOT)) + ",\"target\":" + Json.str(r.target()) + ",\"started\":"
                        + Json.str(r.started().toString()) + ",\"outcome\":" + Json.str(r.completed() ? "completed"
                        : "undone")).orElse("") + "}");
                return 0;
            }
            say(done.map(r -> "'" + args.domain + "': " + r.describe()).orElse("'" + args.domain + "' has no unfinished"
                    + " operation"));
            return 0;
        }
    }

    @CommandLine.Command(name = "info", mixinStandardHelpOptions = true,
            header = "Show one snapshot (or the base) with its images' sizes.",
            description = "Parent, time, state, description, and each image with its format, virtual size and size "
                    + "on disk.")
    static final class Info extends Reading {
        @Parameters(index = "1", paramLabel = "<name|base>", description = "a snapshot name, or 'base'")
        String name;

        @Override
        public Integer call() {
            return withDomain(args.domain, d -> {
                SnapshotInfo info = d.info(name);
                SnapshotChain chain = d.chain();
                if (json) {
                    String s = Json.snapshot(info.snapshot(), chain);
                    out().println(s.substring(0, s.length() - 1) + ",\"imageInfo\":"
                            + Json.array(info.images().stream().map(Json::info).toList()) + ",\"actualSize\":"
                            + info.actualSize() + (info.memorySize().isPresent() ? ",\"memorySize\":"
                            + info.memorySize().getAsLong() : "") + "}");
                    return 0;
                }
                Snapshot s = info.snapshot();
                out().println("name:        " + s.name() + (chain.current().map(c -> c.name().equals(s.name()))
                        .orElse(false) ? " (current)" : ""));
                out().println("parent:      " + (s.isBase() ? "-" : s.parent().orElse("base")));
                out().println("created:     " + s.creationTime());
                out().println("state:       " + s.state().libvirtName());
                out().println("description: " + s.description());
                s.memoryFile().ifPresent(m -> out().println("memory:      " + m + (info.memorySize().isPresent()
                        ? " (" + info.memorySize().getAsLong() + " bytes)" : " (missing)")));
                for (ImageInfo i : info.images()) {
                    out().printf("image:       %s (%s, %d bytes virtual, %d bytes on disk)%n", i.path(),
                            i.format().id(), i.virtualSize(), i.actualSize());
                }
                return 0;
            });
        }
    }

    @CommandLine.Command(name = "shell", mixinStandardHelpOptions = true,
            header = "Interactive prompt: one command a line, on one connection.",
            description = {"Reads commands at an 'esm> ' prompt, with the command line's syntax: words split at "
                    + "blanks, '...' and \"...\" quote, \\ escapes, # starts a comment. A failing command prints "
                    + "its error and the prompt comes back. 'help' lists the commands; 'exit', 'quit' or end of "
                    + "input (Ctrl-D) leave.",
                    "The connection is opened at the first command and kept, so every later command runs at "
                            + "in-process speed. 'esm' without a command on a terminal opens the prompt too."})
    static final class Shell extends Sub {
        @Override
        public Integer call() throws IOException {
            if (root.session.nested) {
                throw new CommandLine.ParameterException(spec.commandLine(), "already in a batch or shell");
            }
            return root.shell(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
        }
    }

    @CommandLine.Command(name = "completion", mixinStandardHelpOptions = true,
            header = "Print the bash/zsh completion script.",
            description = {"Prints picocli's completion script for esm's commands and options.",
                    "bash: source <(esm completion)   (or save it in /etc/bash_completion.d/esm)",
                    "zsh:  autoload -U +X compinit && compinit; autoload -U +X bashcompinit && bashcompinit; "
                            + "source <(esm completion)"})
    static final class Completion implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            out.print(picocli.AutoComplete.bash("esm", spec.root().commandLine()));
            out.flush();
            return 0;
        }
    }
}
