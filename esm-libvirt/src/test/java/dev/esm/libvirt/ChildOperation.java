package dev.esm.libvirt;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.OperationListener;
import dev.esm.api.SnapshotManager;
import dev.esm.api.StepEvent;
import dev.esm.api.errors.LeaseLostException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An ESM operation in a process of its own, for the tests that run two at once or kill one half-way:
 * {@code ChildOperation <uri> <domain> setup <dir> | create <name> | revert <name> | revert-running <name> |
 * delete <name> | recover -}.
 *
 * <p>Exits 0 when the operation succeeded. When this client lost the domain's lease to another client
 * ({@link LeaseLostException}), it prints the exception's message as one line {@code esm: <message>} on stderr and
 * exits 0 if the operation took effect anyway (the other client completed it), else {@value #LOST_EXIT}.
 *
 * <p>For the tests that pause this process in the middle of a step: with {@code -D}{@value #STEPS}{@code =true} a
 * listener prints {@code STEP <kind> <index>} on stdout (flushed) as each step starts, before the step's first call;
 * with {@code -D}{@value #PAUSE_AT}{@code =<KIND>[#n]} it then sleeps {@code -D}{@value #PAUSE_MILLIS} (default 800)
 * at the n-th step of that kind (from 1, default 1), so that a SIGSTOP sent on the marker lands before the step's
 * first call.
 */
public final class ChildOperation {
    /** The exit code of a client whose operation another client undid (or whose fate is not known yet). */
    public static final int LOST_EXIT = 8;
    /** System property: print a marker line per step. */
    public static final String STEPS = "esm.child.steps";
    /** System property: the step kind (and its occurrence, {@code KIND#n}) at which the listener sleeps. */
    public static final String PAUSE_AT = "esm.child.pauseAt";
    /** System property: how long the listener sleeps there, in milliseconds. */
    public static final String PAUSE_MILLIS = "esm.child.pauseMillis";

    private ChildOperation() {
    }

    public static void main(String[] args) {
        int code = 0;
        SnapshotManager.Builder builder = SnapshotManager.builder(args[0]).systemProperties();
        if (Boolean.getBoolean(STEPS)) {
            builder.listener(new StepMarkers(System.getProperty(PAUSE_AT, ""),
                    Long.getLong(PAUSE_MILLIS, 800)));
        }
        try (SnapshotManager esm = builder.connect()) {
            DomainSnapshots d = esm.domain(args[1]);
            switch (args[2]) {
                case "setup" -> d.setup(args[3]).execute();
                case "create" -> d.snapshot(args[3]).create();
                case "revert" -> d.revert(args[3]).execute();
                case "revert-running" -> d.revert(args[3]).running().execute();
                case "delete" -> d.delete(args[3]).execute();
                case "recover" -> d.recover();
                default -> throw new IllegalArgumentException(args[2]);
            }
            System.out.println("done " + args[2] + " " + args[3]);
        } catch (LeaseLostException lost) {
            String message = String.valueOf(lost.getMessage()).replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
            System.err.println("esm: " + message);
            code = lost.tookEffect() ? 0 : LOST_EXIT;
        }
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** Prints {@code STEP <kind> <index>} as each step starts; sleeps at the chosen one. */
    private static final class StepMarkers implements OperationListener {
        private final String kind;
        private final int occurrence;
        private final long pauseMillis;
        private final AtomicInteger seen = new AtomicInteger();

        StepMarkers(String pauseAt, long pauseMillis) {
            int hash = pauseAt.indexOf('#');
            this.kind = hash < 0 ? pauseAt : pauseAt.substring(0, hash);
            this.occurrence = hash < 0 ? 1 : Integer.parseInt(pauseAt.substring(hash + 1));
            this.pauseMillis = pauseMillis;
        }

        @Override
        public void stepStarted(StepEvent event) {
            String k = event.step().kind().name();
            synchronized (System.out) {
                System.out.println("STEP " + k + " " + event.index());
                System.out.flush();
            }
            if (k.equals(kind) && seen.incrementAndGet() == occurrence) {
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
