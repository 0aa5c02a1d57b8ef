package dev.esm.core.engine;

import dev.esm.core.plan.Step;
import dev.esm.core.port.Host;
import dev.esm.core.xml.DomainXml;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * The restore step ({@link Step.RestoreMemory}): the domain started from a memory file on the fresh overlays, with
 * the definition saved in the file, its disks pointed at the overlays and checked, prepared ahead on the manager's
 * executor while the steps before the restore run. Not thread-safe: one plan's restore, prepared ahead from the
 * thread that runs the plan.
 *
 * <p>Threads: the preparation ahead ({@link #prepareAhead}) is a task of the manager's executor
 * ({@link dev.esm.api.Settings#executor()}), awaited by {@link #awaitAhead}; no thread of its own.
 */
final class MemoryRestore {
    private final Host host;
    private final String domain;
    /** The manager's executor, for the restore prepared ahead. */
    private final java.util.concurrent.ExecutorService workers;
    /** The step runner's logger: a restore's lines are the step runner's, under its name. */
    private final Logger log;
    /** A restore's definition prepared ahead ({@link #prepareAhead}), and the step it is for. */
    private java.util.concurrent.CompletableFuture<String> restoreAhead;
    private Step.RestoreMemory restoreAheadFor;

    MemoryRestore(Host host, String domain, java.util.concurrent.ExecutorService workers, Logger log) {
        this.host = host;
        this.domain = domain;
        this.workers = workers;
        this.log = log;
    }

    /**
     * Starts the domain from a memory file on the fresh overlays. The domain definition saved in the file is used
     * with every snapshotted disk pointed at its new overlay, and checked before the call: a restore onto the
     * frozen images would let the guest write into the snapshot. Repeated (recovery), a domain that runs already
     * was restored; a restore that fails again leaves the domain shut off on the snapshot's disks.
     */
    void restore(Step.RestoreMemory s, boolean again) {
        if (again && host.state(domain).isActive()) {
            return;
        }
        try {
            host.restore(domain, s.memoryFile(), restoreXml(s), s.paused());
        } catch (RuntimeException e) {
            if (!again) {
                throw e;
            }
            log.warn("{}: restoring the memory of '{}' from {} failed again ({}); the domain stays shut off on the"
                    + " snapshot's disks", domain, s.snapshot(), s.memoryFile(), e.toString());
        }
    }

    /** @return the restore's definition, prepared ahead if {@link #prepareAhead} was, else prepared now */
    private String restoreXml(Step.RestoreMemory s) {
        if (restoreAhead != null && s.equals(restoreAheadFor)) {
            try {
                return restoreAhead.join();
            } catch (RuntimeException e) {
                log.debug("preparing the restore of {} ahead failed ({}); preparing it again", s.memoryFile(),
                        e.toString());
            }
        }
        return prepareRestoreXml(s);
    }

    /**
     * The definition saved in the memory file with every snapshotted disk pointed at its new overlay, and checked:
     * a restore onto the frozen images would let the guest write into the snapshot.
     */
    private String prepareRestoreXml(Step.RestoreMemory s) {
        String saved = host.savedDomainXml(s.memoryFile());
        String dxml = DomainXml.rewrite(saved, s.sources(), Optional.empty());
        java.util.Set<String> overlays = new java.util.HashSet<>();
        s.sources().values().forEach(i -> overlays.add(i.path()));
        for (var disk : DomainXml.parse(dxml).eligibleDisks()) {
            if (disk.source().filter(overlays::contains).isEmpty()) {
                throw new dev.esm.api.errors.InvalidOperationException("the memory of '" + s.snapshot()
                        + "' was saved with disk " + disk.target() + " (" + disk.source().orElse("no source")
                        + "), which has no fresh overlay in this revert; the domain is left shut off on the"
                        + " snapshot's disks: revert without running()/paused()");
            }
        }
        return dxml;
    }

    /**
     * Starts preparing a restore's definition ({@link #prepareRestoreXml}: the definition saved in the memory file
     * read through libvirt, its disks pointed at the new overlays, checked) as a task of the manager's executor, so
     * that the restore does not wait for it: the steps before it (the overlays, and the power-off, in which libvirt
     * waits 200 ms for QEMU to go) run meanwhile. The memory file is only read and nothing else depends on the
     * result; the restore prepares it again itself if this failed (or the executor refused the task), so that its own
     * thread reports the error at the same step. {@link #awaitAhead} ends it.
     */
    void prepareAhead(Step.RestoreMemory s) {
        java.util.concurrent.CompletableFuture<String> ahead = new java.util.concurrent.CompletableFuture<>();
        restoreAhead = ahead;
        restoreAheadFor = s;
        try {
            workers.execute(() -> {
                try {
                    ahead.complete(prepareRestoreXml(s));
                } catch (RuntimeException e) {
                    ahead.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            ahead.completeExceptionally(e); // the restore prepares it itself
        }
    }

    /** Waits until a preparation ahead has ended, if one was started: no call to the host outlives the operation. */
    void awaitAhead() {
        if (restoreAhead != null) {
            try {
                restoreAhead.join();
            } catch (RuntimeException ignored) {
                // the restore prepared it itself, or never came
            }
            restoreAhead = null;
            restoreAheadFor = null;
        }
    }
}
