package dev.esm.core.engine;

import dev.esm.api.Operation;
import dev.esm.api.errors.LeaseLostException;
import dev.esm.core.plan.Journal;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What became of an operation whose client lost the domain's lease part-way: the lease's new owner recovers the journal
 * this client wrote last, and {@link Recoverer#completes} says from that journal alone whether the recovery completes
 * or undoes it. This class waits, reading only (it changes nothing: the domain is another client's), until the journal
 * is gone or is another operation's, at most the manager's lock wait, and says so in one sentence. Single-use, one
 * thread.
 */
final class LeaseFate {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseFate.class);
    private static final long POLL_MILLIS = 200;

    private final DomainContext ctx;
    private final Operation operation;
    private final String target;
    private final Optional<Journal> mine;

    /**
     * @param mine the journal the operation wrote last; empty when it wrote none (it changed nothing)
     */
    LeaseFate(DomainContext ctx, Operation operation, String target, Optional<Journal> mine) {
        this.ctx = ctx;
        this.operation = operation;
        // What the user asked for (a plan's own target may name another snapshot: a merge's survivor).
        this.target = target.isEmpty() ? mine.map(Journal::target).orElse("") : target;
        this.mine = mine;
    }

    /** @return the exception to throw in place of {@code lost}, with the operation's fate */
    LeaseLostException of(LeaseLostException lost) {
        String what = "the " + operation.name().toLowerCase() + (target.isEmpty() ? "" : " of '" + target + "'");
        String head = "lost domain '" + ctx.name + "' to another client part-way through " + what + " ("
                + lost.getMessage() + ")";
        if (mine.isEmpty()) {
            return new LeaseLostException(head + "; nothing of it had been done: run it again",
                    LeaseLostException.Fate.UNDONE, lost);
        }
        boolean completes = Recoverer.completes(mine.get());
        long deadline = System.nanoTime() + ctx.lockWait.toNanos();
        while (true) {
            Optional<Journal> now;
            try {
                now = ctx.journals.read();
            } catch (RuntimeException unreadable) {
                // A read may fail just after a pause (a connection catching up): read again until the wait ends.
                LOG.debug("reading the journal of domain '{}' after losing its lease failed: {}", ctx.name,
                        unreadable.toString());
                if (System.nanoTime() > deadline || !pause()) {
                    return pending(head, completes, lost);
                }
                continue;
            }
            if (now.isEmpty() || !same(now.get(), mine.get())) {
                return completes
                        ? new LeaseLostException(head + "; that client completed it", LeaseLostException.Fate.COMPLETED,
                                lost)
                        : new LeaseLostException(head + "; that client undid it: nothing of it is left, run it again",
                                LeaseLostException.Fate.UNDONE, lost);
            }
            if (ctx.lock.holder().isEmpty() || System.nanoTime() > deadline) {
                return pending(head, completes, lost); // nobody is recovering it now
            }
            if (!pause()) {
                return pending(head, completes, lost);
            }
        }
    }

    /** @return false when interrupted (the flag is kept) */
    private static boolean pause() {
        try {
            Thread.sleep(POLL_MILLIS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private LeaseLostException pending(String head, boolean completes, LeaseLostException lost) {
        return new LeaseLostException(head + "; its journal is on the host, and the next operation on the domain (or"
                + " 'recover') " + (completes ? "completes" : "undoes") + " it", LeaseLostException.Fate.PENDING, lost);
    }

    private static boolean same(Journal a, Journal b) {
        return a.operation() == b.operation() && a.started().equals(b.started()) && a.target().equals(b.target());
    }
}
