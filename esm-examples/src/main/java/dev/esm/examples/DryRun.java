package dev.esm.examples;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import java.io.PrintStream;

/**
 * Dry runs: every command can show what it would do, step by step, without doing it. The plan is made from the
 * domain as it is now, with every check the real run makes.
 *
 * <pre>java dev.esm.examples.DryRun &lt;domain&gt; [uri]</pre>
 */
public final class DryRun {
    private DryRun() {
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: DryRun <domain> [uri]");
            System.exit(2);
        }
        try (SnapshotManager esm = args.length > 1 ? SnapshotManager.connect(args[1]) : SnapshotManager.connect()) {
            run(esm, args[0], System.out);
        }
    }

    public static void run(SnapshotManager esm, String domain, PrintStream out) {
        DomainSnapshots vm = esm.domain(domain);
        out.print(vm.snapshot("would-be").description("never taken").plan().render());
        vm.chain().current().ifPresent(c -> out.print(vm.revert(c.name()).stopIfRunning().plan().render()));
        for (var s : vm.chain().snapshots()) {
            out.print(vm.delete(s.name()).plan().render());
        }
    }
}
