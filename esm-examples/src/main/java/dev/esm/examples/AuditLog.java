package dev.esm.examples;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.OperationEvent;
import dev.esm.api.OperationListener;
import dev.esm.api.Outcome;
import dev.esm.api.Recovery;
import dev.esm.api.SnapshotManager;
import dev.esm.api.StepEvent;
import java.io.PrintStream;
import java.time.Duration;

/**
 * A manager configured with {@link SnapshotManager#builder(String)}: a shorter lock wait, and an
 * {@link OperationListener} that writes an audit line for every operation and every slow step, as an orchestration
 * tool would feed its audit log or metrics.
 *
 * <pre>java dev.esm.examples.AuditLog &lt;domain&gt; [uri]</pre>
 */
public final class AuditLog implements OperationListener {
    private final PrintStream out;
    private final Duration slowStep;

    /**
     * @param out where the audit lines go
     * @param slowStep steps that take at least this long get a line of their own
     */
    public AuditLog(PrintStream out, Duration slowStep) {
        this.out = out;
        this.slowStep = slowStep;
    }

    @Override
    public void operationFinished(OperationEvent e) {
        // Called from the operation's thread while the domain's lock is held: keep it quick, never throw.
        out.printf("audit: %s %s %s on '%s': %s in %d ms (%d steps)%s%n", e.started(), e.operation(),
                e.target().isEmpty() ? "-" : e.target(), e.domain(), e.outcome(), e.duration().toMillis(), e.steps(),
                e.failure().map(f -> ": " + f.getMessage()).orElse(""));
    }

    @Override
    public void stepFinished(StepEvent e) {
        // Parallel merges report their steps from their own threads: PrintStream is thread-safe.
        if (e.duration().compareTo(slowStep) >= 0 || e.outcome() != Outcome.SUCCEEDED) {
            out.printf("audit:   step %d/%d %s of %s on '%s': %s in %d ms%n", e.index() + 1, e.count(), e.step().kind(),
                    e.operation(), e.domain(), e.outcome(), e.duration().toMillis());
        }
    }

    @Override
    public void recovered(String domain, Recovery recovery) {
        out.println("audit: '" + domain + "': " + recovery.describe());
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: AuditLog <domain> [uri]");
            System.exit(2);
        }
        String uri = args.length > 1 ? args[1] : SnapshotManager.defaultUri();
        try (SnapshotManager esm = SnapshotManager.builder(uri)
                .lockWait(Duration.ofSeconds(10))
                .listener(new AuditLog(System.out, Duration.ofMillis(100)))
                .connect()) {
            run(esm, args[0], System.out);
        }
    }

    /** Takes a snapshot, reverts to it and deletes it: three audit lines, and one for each slow step. */
    public static void run(SnapshotManager esm, String domain, PrintStream out) {
        DomainSnapshots vm = esm.domain(domain);
        vm.snapshot("audited").description("taken by the AuditLog example").create();
        vm.revert("audited").stopIfRunning().execute();
        vm.delete("audited").execute();
        try {
            vm.delete("audited").execute(); // gone already: refused before any step, and audited as FAILED
        } catch (dev.esm.api.errors.SnapshotNotFoundException expected) {
            out.println("refused as expected: " + expected.getMessage());
        }
    }
}
