package dev.esm.examples;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import java.io.PrintStream;
import java.util.function.BooleanSupplier;

/**
 * A safe upgrade: take a snapshot, change the VM, then keep the change (delete the snapshot: its data is merged
 * away, nothing is lost) or roll back (revert to it).
 *
 * <pre>java dev.esm.examples.SafeUpgrade &lt;domain&gt; keep|rollback [uri]</pre>
 */
public final class SafeUpgrade {
    private SafeUpgrade() {
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: SafeUpgrade <domain> keep|rollback [uri]");
            System.exit(2);
        }
        boolean keep = args[1].equals("keep");
        try (SnapshotManager esm = args.length > 2 ? SnapshotManager.connect(args[2]) : SnapshotManager.connect()) {
            run(esm, args[0], () -> keep, System.out);
        }
    }

    /**
     * @param upgradeWorked the upgrade itself, returning whether the result is good
     */
    public static void run(SnapshotManager esm, String domain, BooleanSupplier upgradeWorked, PrintStream out) {
        DomainSnapshots vm = esm.domain(domain);
        vm.snapshot("pre-upgrade").description("before the upgrade").create();   // works live too
        out.println("snapshot 'pre-upgrade' taken; upgrading...");
        if (upgradeWorked.getAsBoolean()) {
            // Keep: the snapshot goes; whatever the current state needs of it is merged, nothing is lost.
            vm.delete("pre-upgrade").execute();
            out.println("upgrade kept; 'pre-upgrade' deleted");
        } else {
            // Roll back: the disks are exactly as they were at the snapshot.
            vm.revert("pre-upgrade").stopIfRunning().execute();
            out.println("upgrade rolled back to 'pre-upgrade'");
        }
        out.print(vm.chain().render());
    }
}
