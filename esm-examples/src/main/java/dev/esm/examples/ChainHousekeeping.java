package dev.esm.examples;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.SnapshotInfo;
import dev.esm.api.SnapshotManager;
import dev.esm.api.errors.InvalidOperationException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Chain housekeeping: show the tree with the space each snapshot takes, then shorten the path to the current
 * snapshot so that only the newest {@code keep} snapshots on it remain (older ones merged away in one job per
 * disk). Long chains cost a little on every disk read, and libvirt refuses to start a domain whose chain holds
 * more than 200 images.
 *
 * <pre>java dev.esm.examples.ChainHousekeeping &lt;domain&gt; [keep] [uri]</pre>
 */
public final class ChainHousekeeping {
    private ChainHousekeeping() {
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ChainHousekeeping <domain> [keep] [uri]");
            System.exit(2);
        }
        int keep = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        try (SnapshotManager esm = args.length > 2 ? SnapshotManager.connect(args[2]) : SnapshotManager.connect()) {
            run(esm, args[0], keep, System.out);
        }
    }

    public static void run(SnapshotManager esm, String domain, int keep, PrintStream out) {
        DomainSnapshots vm = esm.domain(domain);
        SnapshotChain chain = vm.chain();
        for (Snapshot s : chain.snapshots()) {
            SnapshotInfo info = vm.info(s.name());
            out.printf("%-20s parent %-20s %,12d bytes%n", s.name(), s.parent().orElse("base"), info.actualSize());
        }
        // The path from the base to the current snapshot, oldest first.
        List<String> path = new ArrayList<>();
        for (var s = chain.current(); s.isPresent() && !s.get().isBase(); s = chain.parent(s.get().name())) {
            path.add(0, s.get().name());
        }
        if (path.size() <= keep) {
            out.println("the current path has " + path.size() + " snapshots; nothing to do");
            return;
        }
        String top = path.get(path.size() - keep - 1);
        out.println("committing base.." + top + " (" + (path.size() - keep) + " snapshots)");
        try {
            vm.commit("base", top).execute();
        } catch (InvalidOperationException refused) {
            // e.g. another branch stands on one of those snapshots: nothing was changed.
            out.println("not committed: " + refused.getMessage());
        }
        out.print(vm.chain().render());
    }
}
