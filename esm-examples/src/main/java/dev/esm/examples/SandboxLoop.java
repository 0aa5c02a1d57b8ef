package dev.esm.examples;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import java.io.PrintStream;

/**
 * The analysis-lab loop: keep a clean snapshot, then run something in the VM and throw everything away, again and
 * again. Reverting never writes into the clean snapshot, so the tenth run starts from exactly the same disk
 * content as the first.
 *
 * <pre>java dev.esm.examples.SandboxLoop &lt;domain&gt; [runs] [uri]</pre>
 */
public final class SandboxLoop {
    private SandboxLoop() {
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: SandboxLoop <domain> [runs] [uri]");
            System.exit(2);
        }
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        try (SnapshotManager esm = args.length > 2 ? SnapshotManager.connect(args[2]) : SnapshotManager.connect()) {
            run(esm, args[0], runs, System.out);
        }
    }

    /** Runs the loop {@code runs} times on a domain; it needs to be shut off (or set up) at the start. */
    public static void run(SnapshotManager esm, String domain, int runs, PrintStream out) {
        DomainSnapshots vm = esm.domain(domain);
        // 1. The clean state, taken once. Re-running the example reuses it.
        if (vm.chain().find("clean").isEmpty()) {
            vm.snapshot("clean").description("clean state for the sandbox loop").create();
        }
        for (int i = 1; i <= runs; i++) {
            long t0 = System.nanoTime();
            // 2. Start from the clean state: fresh overlays on it, the VM started.
            vm.revert("clean").stopIfRunning().start().execute();
            // 3. Here the lab would run a sample and collect what it did; the VM writes into its overlay only.
            // 4. The next revert discards all of it.
            out.printf("run %d: reverted to 'clean' and started in %.0f ms%n", i, (System.nanoTime() - t0) / 1e6);
        }
        // Leave the VM shut off and clean.
        vm.revert("clean").stopIfRunning().execute();
        out.print(vm.chain().render());
    }
}
