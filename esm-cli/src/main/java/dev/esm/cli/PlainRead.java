package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotChain;
import dev.esm.api.SnapshotName;
import java.io.PrintWriter;
import java.util.Optional;

/**
 * A one-shot {@code esm tree} or {@code esm list} without picocli: the plainest command lines of the two commands
 * a script runs most ({@code [--uri=URI] [-v] [-q] tree|list [--json] DOMAIN}, the options in any order, each at most
 * once) are run here directly, since building picocli's model of the tool and of one command was about a sixth of such
 * a process's time. Output, messages and exit codes are those of {@link Tree} and {@link ListCmd} run by picocli (the
 * same code prints them); any other command line (help, an option of another shape, a repeated option, a name that
 * starts with {@code -} or {@code @}, ...) goes to picocli as before. Stateless.
 */
final class PlainRead {
    /**
     * A command line this class runs.
     *
     * @param uri the {@code --uri} given, or null
     */
    record Line(String command, String domain, String uri, boolean json, boolean verbose) {
    }

    private PlainRead() {
    }

    /** @return the command line, when it is one this class runs; else empty (picocli runs it) */
    static Optional<Line> parse(String[] args) {
        String command = null;
        String domain = null;
        String uri = null;
        boolean json = false;
        boolean verbose = false;
        boolean quiet = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--uri=") && uri == null) {
                uri = a.substring("--uri=".length());
            } else if (a.equals("--uri") && uri == null && i + 1 < args.length && !args[i + 1].startsWith("-")
                    && !args[i + 1].startsWith("@")) {
                uri = args[++i];
            } else if ((a.equals("-v") || a.equals("--verbose")) && !verbose) {
                verbose = true;
            } else if ((a.equals("-q") || a.equals("--quiet")) && !quiet) {
                quiet = true;
            } else if (a.equals("--json") && command != null && !json) {
                json = true;
            } else if (command == null && (a.equals("tree") || a.equals("list"))) {
                command = a;
            } else if (command != null && domain == null && !a.isEmpty() && !a.startsWith("-") && !a.startsWith("@")
                    && !EsmCli.COMMANDS.containsKey(a)) {
                domain = a;
            } else {
                return Optional.empty();
            }
        }
        return command == null || domain == null ? Optional.empty()
                : Optional.of(new Line(command, domain, uri, json, verbose));
    }

    /**
     * Runs {@code line} as picocli would run {@link Tree} or {@link ListCmd}: the same output, the same one-line
     * message and exit code on failure (with the stack trace under {@code -v}).
     *
     * @return the exit code
     */
    static int run(Line line, Session session) {
        PrintWriter out = new PrintWriter(session.out, true);
        try {
            Trace.mark("parsed");
            session.manager(line.uri());
            Trace.mark("connected");
            DomainSnapshots d = session.domain(line.uri(), line.domain());
            Trace.mark("domain opened");
            SnapshotChain chain = Reading.read(session, d, DomainSnapshots::chain);
            if (line.command().equals("tree")) {
                Tree.print(chain, line.json(), out);
            } else {
                ListCmd.print(chain, line.json(), out);
            }
            return 0;
        } catch (Exception e) {
            // As EsmCli's execution exception handler says it
            session.err.println("esm: " + SnapshotName.printable(session.where + e.getMessage()));
            if (line.verbose()) {
                e.printStackTrace(session.err);
            }
            return EsmCli.exitCode(e);
        }
    }
}
