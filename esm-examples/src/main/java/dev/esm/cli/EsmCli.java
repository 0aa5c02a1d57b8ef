package dev.esm.cli;

import dev.esm.api.Command;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageInfo;
import dev.esm.api.MergeCommand;
import dev.esm.api.RevertCommand;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.SnapshotInfo;
import dev.esm.api.SnapshotManager;
import dev.esm.api.errors.DomainBusyException;
import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.api.errors.DomainStateException;
import dev.esm.api.errors.EsmException;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.api.errors.SnapshotNotFoundException;
import dev.esm.api.errors.StorageException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code esm}: the original bash tool's commands, with the original's argument order, over ESM's API.
 *
 * <p>Exit codes: 0 success; 1 an unexpected failure; 2 bad usage; 3 unknown domain or snapshot; 4 the operation
 * does not apply (invalid name, existing snapshot, unsupported disk, refused merge); 5 the domain is in the wrong
 * state or busy; 6 libvirt or storage failed; 7 verify found problems; 130 cancelled.
 */
@CommandLine.Command(name = "esm", mixinStandardHelpOptions = true, versionProvider = EsmCli.Version.class,
        description = "Safe libvirt external snapshots.",
        subcommands = {EsmCli.Setup.class, EsmCli.Create.class, EsmCli.Revert.class, EsmCli.Delete.class,
                EsmCli.Refresh.class, EsmCli.Commit.class, EsmCli.ListCmd.class, EsmCli.Tree.class,
                EsmCli.Current.class, EsmCli.Info.class, EsmCli.Verify.class, EsmCli.Recover.class})
public final class EsmCli {

    @Option(names = "--uri", scope = ScopeType.INHERIT, description = "libvirt URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)")
    String uri;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT, description = "show stack traces and more detail")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, description = "print nothing on success")
    boolean quiet;

    @Spec
    CommandSpec spec;

    /** Runs the tool; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        EsmCli root = new EsmCli();
        CommandLine cl = new CommandLine(root);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, line, parse) -> {
            err.println("esm: " + ex.getMessage());
            if (root.verbose) {
                ex.printStackTrace(err);
            }
            return exitCode(ex);
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        // Logging goes to stderr; quiet unless asked (set before the first logger is made).
        boolean verbose = java.util.Arrays.stream(args).anyMatch(a -> a.equals("-v") || a.equals("--verbose"));
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        }
        System.exit(run(args, System.out, System.err));
    }

    static int exitCode(Throwable e) {
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
            return 130;
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

        void say(String line) {
            if (!root.quiet) {
                out().println(line);
            }
        }

        <T> T withDomain(String domain, Function<DomainSnapshots, T> action) {
            try (SnapshotManager esm = root.uri == null ? SnapshotManager.connect() : SnapshotManager.connect(root.uri)) {
                return action.apply(esm.domain(domain));
            }
        }
    }

    /** A changing command: runs, or prints its plan with --dry-run. */
    abstract static class Changing extends Sub {
        @Option(names = {"-n", "--dry-run"}, description = "print the plan; change nothing")
        boolean dryRun;

        int runOrPlan(Command<?> command, Function<Object, String> done) {
            if (dryRun) {
                out().print(command.plan().render());
                out().flush();
                return 0;
            }
            ProgressBar bar = null;
            if (command instanceof MergeCommand<?> m && System.console() != null && !root.quiet) {
                bar = new ProgressBar(System.err);
                m.progress(bar);
            }
            try {
                Object result = command.execute();
                say(done.apply(result));
                return 0;
            } finally {
                if (bar != null) {
                    bar.done();
                }
            }
        }
    }

    @CommandLine.Command(name = "setup", description = "Move the domain's images to <path>/disks, freeze them as the base, put the domain on fresh overlays (shut-off domain).")
    static final class Setup extends Changing {
        @Parameters(index = "0", paramLabel = "<domain>")
        String domain;
        @Parameters(index = "1", paramLabel = "<path>")
        String path;

        @Override
        public Integer call() {
            String dir = java.nio.file.Path.of(path).toAbsolutePath().normalize().toString();
            return withDomain(domain, d -> runOrPlan(d.setup(dir), r -> "set up '" + domain + "' in " + dir + "/disks"));
        }
    }

    @CommandLine.Command(name = "create", description = "Take snapshot <name> of all eligible disks at once (offline or live).")
    static final class Create extends Changing {
        @Parameters(index = "0", paramLabel = "<domain>")
        String domain;
        @Parameters(index = "1", paramLabel = "<name>")
        String name;
        @Option(names = {"-d", "--description"}, description = "a description kept with the snapshot")
        String description;
        @Option(names = "--quiesce", description = "freeze guest file systems through the guest agent")
        boolean quiesce;
        @Option(names = "--memory", description = "also save RAM and device state (running or paused domain)")
        boolean memory;

        @Override
        public Integer call() {
            return withDomain(domain, d -> {
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
                return runOrPlan(c, r -> "created snapshot '" + name + "' of '" + domain + "'");
            });
        }
    }

    /** Revert and refresh: they share --force and --start. */
    abstract static class Reverting extends Changing {
        @Option(names = {"-f", "--force"}, description = "power a running domain off first")
        boolean force;
        @Option(names = "--start", description = "start the domain afterwards")
        boolean start;
        @Option(names = "--running", description = "a memory snapshot: resume its running state")
        boolean running;
        @Option(names = "--paused", description = "a memory snapshot: restore its state, paused")
        boolean paused;

        int run(RevertCommand c, String done) {
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
            return runOrPlan(c, r -> done + " '" + ((Snapshot) r).name() + "'");
        }
    }

    @CommandLine.Command(name = "revert", description = "Put the domain on fresh overlays on snapshot <name> (or base); changes since are discarded.")
    static final class Revert extends Reverting {
        @Parameters(index = "0", paramLabel = "<domain>")
        String domain;
        @Parameters(index = "1", paramLabel = "<name|base>")
        String name;

        @Override
        public Integer call() {
            return withDomain(domain, d -> run(d.revert(name), "reverted '" + domain + "' to"));
        }
    }

    @CommandLine.Command(name = "refresh", description = "Discard every change since the last create, revert or refresh.")
    static final class Refresh extends Reverting {
        @Parameters(index = "0", paramLabel = "<domain>")
        String domain;

        @Override
        public Integer call() {
            return withDomain(domain, d -> run(d.refresh(), "refreshed '" + domain + "' to"));
        }
    }

    @CommandLine.Command(name = "delete", description = "Remove snapshot <name>; what others need is merged.")
    static final class Delete extends Changing {
        @Parameters(index = "0", paramLabel = "<domain>")
        String domain;
        @Parameters(index = "1", paramLabel = "<name>")
        String name;

        @Override
        public Integer call() {
            return withDomain(domain, d -> runOrPlan(d.delete(name), r -> "deleted snapshot '" + name + "' of '"
                    + domain + "'"));
        }
    }

    @CommandLine.Command(name = "commit", description = "Remove every snapshot after <base> up to and including <top> in one merge job; <base> and the current state keep their contents.")
    static final class Commit extends Changing {
        @Parameters(index = "0", paramLabel = "<domain>")
        String domain;
        @Parameters(index = "1", paramLabel = "<base>")
        String base;
        @Parameters(index = "2", paramLabel = "<top>")
        String top;

        @Override
        public Integer call() {
            return withDomain(domain, d -> runOrPlan(d.commit(base, top), r -> "committed '" + base + "'..'" + top
                    + "' of '" + domain + "'"));
        }
    }

    /** A read command with --json. */
    abstract static class Reading extends Sub {
        @Parameters(index = "0", paramLabel = "<domain>")
        String domain;
        @Option(names = "--json", description = "print JSON")
        boolean json;
    }

    @CommandLine.Command(name = "list", description = "List the snapshots, oldest first; * marks the current one.")
    static final class ListCmd extends Reading {
        @Override
        public Integer call() {
            SnapshotChain chain = withDomain(domain, DomainSnapshots::chain);
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

    @CommandLine.Command(name = "tree", description = "Show the snapshot tree; * marks the current one.")
    static final class Tree extends Reading {
        @Override
        public Integer call() {
            SnapshotChain chain = withDomain(domain, DomainSnapshots::chain);
            if (json) {
                java.util.List<String> items = new java.util.ArrayList<>();
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

    @CommandLine.Command(name = "current", description = "Print the current snapshot's name (base when on the base).")
    static final class Current extends Reading {
        @Override
        public Integer call() {
            SnapshotChain chain = withDomain(domain, DomainSnapshots::chain);
            Snapshot c = chain.current().orElseThrow(() -> new SnapshotNotFoundException("domain '" + domain
                    + "' has no current snapshot and no frozen base yet"));
            out().println(json ? Json.snapshot(c, chain) : c.name());
            return 0;
        }
    }

    @CommandLine.Command(name = "verify", description = "Check the domain, its snapshots, libvirt's metadata and every image chain against each other; exit 7 when something is wrong.")
    static final class Verify extends Reading {
        @Override
        public Integer call() {
            java.util.List<String> problems = withDomain(domain, DomainSnapshots::verify);
            if (json) {
                out().println(Json.array(problems.stream().map(Json::str).toList()));
            } else if (problems.isEmpty()) {
                say("'" + domain + "' is consistent");
            } else {
                problems.forEach(p -> out().println("problem: " + p));
            }
            return problems.isEmpty() ? 0 : 7;
        }
    }

    @CommandLine.Command(name = "recover", description = "Finish or undo an operation a stopped process left unfinished.")
    static final class Recover extends Sub {
        @Parameters(index = "0", paramLabel = "<domain>")
        String domain;

        @Override
        public Integer call() {
            boolean any = withDomain(domain, DomainSnapshots::recover);
            say(any ? "recovered an unfinished operation on '" + domain + "'" : "'" + domain + "' has no unfinished"
                    + " operation (one found when the domain was opened is recovered then)");
            return 0;
        }
    }

    @CommandLine.Command(name = "info", description = "Show a snapshot (or base): parent, time, state, description, images and their sizes.")
    static final class Info extends Reading {
        @Parameters(index = "1", paramLabel = "<name|base>")
        String name;

        @Override
        public Integer call() {
            return withDomain(domain, d -> {
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
}
