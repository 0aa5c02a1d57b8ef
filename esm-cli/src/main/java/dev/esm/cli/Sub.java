package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotName;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every subcommand shares: the connection, the domain, output. */
abstract class Sub implements Callable<Integer> {
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
