package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import java.io.PrintWriter;
import picocli.CommandLine;

/** {@code esm list}: List the snapshots, oldest first. */
@CommandLine.Command(name = "list", mixinStandardHelpOptions = true,
        header = "List the snapshots, oldest first.",
        description = "One snapshot a line with its parent, time, state and description; * marks the current "
                + "one.")
final class ListCmd extends Reading {
    @Override
    public Integer call() {
        print(withDomain(args.domain, DomainSnapshots::chain), json, out());
        return 0;
    }

    /** Prints the list (or its JSON) to {@code out}. */
    static void print(SnapshotChain chain, boolean json, PrintWriter out) {
        if (json) {
            out.println(Json.array(chain.snapshots().stream().map(s -> Json.snapshot(s, chain)).toList()));
            return;
        }
        String current = chain.current().map(Snapshot::name).orElse("");
        // As printf("%-2s%-24s %-24s %-20s %-14s %s%n") would, without a Formatter per line (10,000 lines cost
        // most of a second of a one-shot process's cold code).
        StringBuilder b = new StringBuilder(64 * (chain.snapshots().size() + 1));
        row(b, "", "NAME", "PARENT", "CREATED", "STATE", "DESCRIPTION");
        for (Snapshot s : chain.snapshots()) {
            row(b, s.name().equals(current) ? "*" : "", s.name(), s.parent().orElse("base"),
                    s.creationTime().toString().replace('T', ' ').replace("Z", ""), s.state().libvirtName(),
                    s.description());
        }
        out.print(b);
        out.flush();
        if ("base".equals(current)) {
            out.println("(current: base)");
        }
    }

    private static void row(StringBuilder b, String mark, String name, String parent, String created, String state,
                            String description) {
        pad(b, mark, 2);
        pad(b, name, 24).append(' ');
        pad(b, parent, 24).append(' ');
        pad(b, created, 20).append(' ');
        pad(b, state, 14).append(' ');
        b.append(description).append(System.lineSeparator());
    }

    /** Appends {@code s} left-justified in {@code width} columns (longer: as it is), as {@code %-<width>s} does. */
    private static StringBuilder pad(StringBuilder b, String s, int width) {
        b.append(s);
        for (int i = s.length(); i < width; i++) {
            b.append(' ');
        }
        return b;
    }
}
