package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotChain;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** {@code esm tree}: Show the snapshot tree. */
@CommandLine.Command(name = "tree", mixinStandardHelpOptions = true,
        header = "Show the snapshot tree.",
        description = "Children are indented below their parent; * marks the current snapshot.")
final class Tree extends Reading {
    @Override
    public Integer call() {
        print(withDomain(args.domain, DomainSnapshots::chain), json, out());
        return 0;
    }

    /** Prints the tree (or its JSON) to {@code out}. */
    static void print(SnapshotChain chain, boolean json, PrintWriter out) {
        if (json) {
            List<String> items = new ArrayList<>();
            chain.base().ifPresent(b -> items.add(Json.snapshot(b, chain)));
            chain.snapshots().forEach(s -> items.add(Json.snapshot(s, chain)));
            out.println(Json.array(items));
        } else {
            out.print(chain.render());
            out.flush();
        }
    }
}
