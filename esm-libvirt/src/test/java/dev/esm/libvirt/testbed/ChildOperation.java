package dev.esm.libvirt.testbed;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageAccess;
import dev.esm.api.MoveCommand;
import dev.esm.api.OperationListener;
import dev.esm.api.SnapshotManager;
import dev.esm.api.StepEvent;
import dev.esm.api.errors.LeaseLostException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An ESM operation in a process of its own, for the tests that run two at once or kill one half-way:
 * {@code ChildOperation <uri> <domain> setup <dir> | create <name> | revert <name> | revert-running <name> |
 * delete <name> | recover - | move <targetUri> <dir> [live[:<migration address>]]}. A move reaches the target
 * through its storage API ({@link ImageAccess#LIBVIRT_STORAGE}), as a host that shares no storage with this one.
 *
 * <p>Exits 0 when the operation succeeded. When this client lost the domain's lease to another client
 * ({@link LeaseLostException}), it prints the exception's message as one line {@code esm: <message>} on stderr and
 * exits 0 if the operation took effect anyway (the other client completed it), else {@value #LOST_EXIT}.
 *
 * <p>For the tests that pause this process in the middle of a step: with {@code -D}{@value #STEPS}{@code =true} a
 * listener prints {@code STEP <kind> <index>} on stdout (flushed) as each step starts, before the step's first call;
 * with {@code -D}{@value #PAUSE_AT}{@code =<KIND>[#n]} it then sleeps {@code -D}{@value #PAUSE_MILLIS} (default 800)
 * at the n-th step of that kind (from 1, default 1), so that a SIGSTOP sent on the marker lands before the step's
 * first call. With {@code -D}{@value #PAUSE_AFTER}{@code =<KIND>[#n]} it prints {@code DONE <kind> <index>} as each step
 * ends and sleeps at the end of the chosen one instead (after the step's last call, before the journal records it).
 * With {@code -D}{@value #PAUSE_IN_COPY}{@code =<n>} a move prints {@code COPYING <n>} and sleeps at the first progress
 * report of its n-th file copied (from 1): after its first chunk was written to the target, before the copy ends.
 */
public final class ChildOperation {
    /** The exit code of a client whose operation another client undid (or whose fate is not known yet). */
    public static final int LOST_EXIT = 8;
    /** System property: print a marker line per step. */
    public static final String STEPS = "esm.child.steps";
    /** System property: the step kind (and its occurrence, {@code KIND#n}) at which the listener sleeps. */
    public static final String PAUSE_AT = "esm.child.pauseAt";
    /** System property: the step kind (and occurrence) at whose end, before the journal records it, it sleeps. */
    public static final String PAUSE_AFTER = "esm.child.pauseAfter";
    /** System property: the file of a move (from 1) in the middle of whose copy it sleeps. */
    public static final String PAUSE_IN_COPY = "esm.child.pauseInCopy";
    /** System property: how long the listener sleeps there, in milliseconds. */
    public static final String PAUSE_MILLIS = "esm.child.pauseMillis";

    private ChildOperation() {
    }

    public static void main(String[] args) {
        int code = 0;
        SnapshotManager.Builder builder = SnapshotManager.builder(args[0]).systemProperties();
        if (Boolean.getBoolean(STEPS)) {
            builder.listener(new StepMarkers(System.getProperty(PAUSE_AT, ""), System.getProperty(PAUSE_AFTER, ""),
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
                case "move" -> move(d, args);
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

    /** {@code move <targetUri> <dir> [live[:<address>]]}: moves the domain to that host, into that folder. */
    private static void move(DomainSnapshots d, String[] args) {
        try (SnapshotManager target = SnapshotManager.connect(args[3], ImageAccess.LIBVIRT_STORAGE)) {
            MoveCommand move = d.moveTo(target).path(args[4]);
            Integer inCopy = Integer.getInteger(PAUSE_IN_COPY);
            if (inCopy != null) {
                move.progress(new InCopy(inCopy, Long.getLong(PAUSE_MILLIS, 800)));
            }
            if (args.length > 5) {
                if (!args[5].startsWith("live")) {
                    throw new IllegalArgumentException(args[5]);
                }
                move.live();
                if (args[5].startsWith("live:")) {
                    move.migrationAddress(args[5].substring(5));
                }
            }
            move.execute();
        }
    }

    /**
     * Prints {@code STEP <kind> <index>} as each step starts and {@code DONE <kind> <index>} as it ends; sleeps at the
     * chosen start or end.
     */
    private static final class StepMarkers implements OperationListener {
        private final Marker at;
        private final Marker after;
        private final long pauseMillis;

        StepMarkers(String pauseAt, String pauseAfter, long pauseMillis) {
            this.at = new Marker(pauseAt);
            this.after = new Marker(pauseAfter);
            this.pauseMillis = pauseMillis;
        }

        @Override
        public void stepStarted(StepEvent event) {
            mark("STEP", event, at);
        }

        @Override
        public void stepFinished(StepEvent event) {
            if (event.failure().isEmpty()) {
                mark("DONE", event, after);
            }
        }

        private void mark(String what, StepEvent event, Marker pause) {
            String k = event.step().kind().name();
            synchronized (System.out) {
                System.out.println(what + " " + k + " " + event.index());
                System.out.flush();
            }
            if (pause.reached(k)) {
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Prints {@code COPYING <n>} and sleeps at the first progress report of the n-th file copied. */
    private static final class InCopy implements dev.esm.api.ProgressListener {
        private final int file;
        private final long pauseMillis;
        private String last;
        private int files;

        InCopy(int file, long pauseMillis) {
            this.file = file;
            this.pauseMillis = pauseMillis;
        }

        @Override
        public void onProgress(dev.esm.api.Progress progress) {
            if (progress.disk().equals(last)) {
                return;
            }
            last = progress.disk();
            if (++files == file) {
                synchronized (System.out) {
                    System.out.println("COPYING " + files + " " + progress.disk());
                    System.out.flush();
                }
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** {@code KIND[#n]}: the n-th step of a kind (from 1, default 1); empty for none. */
    private static final class Marker {
        private final String kind;
        private final int occurrence;
        private final AtomicInteger seen = new AtomicInteger();

        Marker(String spec) {
            int hash = spec.indexOf('#');
            this.kind = hash < 0 ? spec : spec.substring(0, hash);
            this.occurrence = hash < 0 ? 1 : Integer.parseInt(spec.substring(hash + 1));
        }

        boolean reached(String k) {
            return !kind.isEmpty() && k.equals(kind) && seen.incrementAndGet() == occurrence;
        }
    }
}
