package dev.esm.libvirt.internal.jobs;

import dev.esm.api.Progress;
import dev.esm.api.ProgressListener;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Fencing;
import dev.esm.core.xml.DomainXml;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainBlockJobInfo;
import org.libvirt.LibvirtException;
import org.libvirt.event.BlockJobStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.esm.libvirt.internal.connect.LibvirtFlags;

/**
 * Drives block-commit jobs for one connection: starts a job, follows it through its disk's block-job events
 * ({@link BlockJobEvents}, one registration per connection, made at the first merge) with polling as a fallback,
 * reports progress, pivots an active commit, aborts a stalled or cancelled job and checks that the merged image left
 * the disk's chain. Several jobs may run at once, on several disks of one domain and on many domains.
 *
 * <p>Thread-safety: thread-safe; the mutable state is the lazily registered event callback (under this object's
 * monitor) and whether events are used.
 */
public final class BlockCommitDriver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockCommitDriver.class);
    /** How often a block job is looked at when no event arrives; events usually come first. */
    private static final long POLL_MILLIS = 100;

    /** The connection events are registered on. */
    private final Connect conn;
    /** Throws once the owner is closed. */
    private final Runnable checkOpen;
    /** The longest a merge may make no progress at all before it is aborted and reported as failed. */
    private final long stallMillis;
    /** Whether libvirt's event loop runs (else block jobs are polled). */
    private volatile boolean events;
    /** This connection's block-job events, registered at the first merge. */
    private volatile BlockJobEvents blockJobEvents;

    /**
     * @param conn the connection block-job events are registered on
     * @param events whether libvirt's event loop runs (else jobs are polled)
     * @param stallMillis the longest a job may make no progress before it is aborted
     * @param checkOpen throws once the owner is closed
     */
    public BlockCommitDriver(Connect conn, boolean events, long stallMillis, Runnable checkOpen) {
        this.conn = conn;
        this.events = events;
        this.stallMillis = stallMillis;
        this.checkOpen = checkOpen;
    }

    /**
     * Runs one block commit on {@code d}'s {@code disk} to its end (see {@link dev.esm.core.port.Host#blockCommit}).
     *
     * @param domain the domain's name (events are matched by it)
     * @param doing what the merge is, for messages
     */
    public void commit(Domain d, String domain, String disk, String base, String top, boolean active,
                ProgressListener listener, Cancellation cancel, String doing) throws LibvirtException {
        BlockJobEvents events = blockJobEvents();
        if (events == null) {
            runCommit(d, disk, base, top, active, listener, cancel, new LinkedBlockingQueue<>(), doing);
            return;
        }
        try (BlockJobEvents.Subscription sub = events.subscribe(domain, disk)) {
            runCommit(d, disk, base, top, active, listener, cancel, sub.statuses(), doing);
        }
    }

    /**
     * @return the connection's block-job events (registered at the first merge: commands that merge nothing do not
     *         pay for it), or null when no event loop runs (jobs are then polled)
     */
    private BlockJobEvents blockJobEvents() {
        BlockJobEvents e = blockJobEvents;
        if (e != null || !events) {
            return e;
        }
        synchronized (this) {
            checkOpen.run();
            if (blockJobEvents == null) {
                try {
                    blockJobEvents = new BlockJobEvents(conn);
                } catch (RuntimeException | LinkageError failed) {
                    LOG.debug("no block-job events ({}); block jobs are polled", failed.toString());
                    events = false;
                }
            }
            return blockJobEvents;
        }
    }

    /** Runs the commit on the disk's statuses (package-private: the unit tests give the events). */
    void runCommit(Domain d, String disk, String base, String top, boolean active, ProgressListener listener,
                   Cancellation cancel, BlockingQueue<BlockJobStatus> statuses, String doing)
            throws LibvirtException {
        LOG.debug("starting {}", doing);
        try {
            d.blockCommit(disk, base, top, 0, active ? LibvirtFlags.BLOCK_COMMIT_ACTIVE : 0);
        } catch (LibvirtException refused) {
            // Looked for only when refused: a look before every start waits, like the start, for the domain's job,
            // behind the other disks' starts.
            if (!clearLeftoverJob(d, disk)) {
                throw refused;
            }
            statuses.clear(); // the aborted job's events
            d.blockCommit(disk, base, top, 0, active ? LibvirtFlags.BLOCK_COMMIT_ACTIVE : 0);
        }
        LOG.debug("started {}", doing);
        long lastDone = -1;
        long lastEnd = 0;
        long lastChange = System.currentTimeMillis();
        while (true) {
            BlockJobStatus status = next(statuses);
            // After every wait, before anything that changes the job: a client that lost the domain's lease meanwhile
            // leaves the job to the lease's new owner (which recovers the merge from the journal). The lease is the
            // one the engine bound to this thread for the merge (Fencing); none outside a fenced change.
            Fencing.check();
            if (cancel.isCancelled()) {
                abortJob(d, disk);
                if (!active && !DomainXml.chain(d.getXMLDesc(0), disk).contains(top)) {
                    // The job completed before the abort reached it: the merge is done, and its disk's steps must run.
                    LOG.debug("{} completed as it was cancelled", doing);
                    listener.onProgress(new Progress(disk, Math.max(lastEnd, 1), Math.max(lastEnd, 1)));
                    return;
                }
                throw new OperationCancelledException(doing + " was cancelled; " + top + " keeps all its data");
            }
            // The event that ends the wait (an intermediate job completed, an active one ready for its pivot) needs
            // no look at the job: with several disks' jobs on one domain, each look waits for the others' calls.
            boolean decisive = active ? status == BlockJobStatus.READY : status == BlockJobStatus.COMPLETED;
            DomainBlockJobInfo info = decisive ? null : d.getBlockJobInfo(disk, 0);
            boolean job = info != null && (info.type != 0 || info.end != 0);
            if ((status == BlockJobStatus.FAILED || status == BlockJobStatus.CANCELED) && job
                    && info.cur > 0 && status != null && lastDone >= 0) {
                LOG.debug("ignoring a late {} event on {}: the job is still running", status, disk);
                status = null;
            }
            if (status == BlockJobStatus.FAILED) {
                throw new HypervisorException(doing + " failed; " + top + " keeps all its data", -1,
                        "VIR_DOMAIN_BLOCK_JOB_FAILED", "the block job failed", null);
            }
            if (status == BlockJobStatus.CANCELED) {
                throw new OperationCancelledException(doing + " was aborted by someone else; " + top
                        + " keeps all its data");
            }
            if (job) {
                lastEnd = info.end;
                listener.onProgress(new Progress(disk, info.cur, info.end));
                if (info.cur != lastDone) {
                    lastDone = info.cur;
                    lastChange = System.currentTimeMillis();
                }
            }
            if (active && (status == BlockJobStatus.READY || (job && info.end > 0 && info.cur == info.end))) {
                if (!job) {
                    listener.onProgress(new Progress(disk, Math.max(lastEnd, 1), Math.max(lastEnd, 1)));
                }
                try {
                    // Asked for, not waited for in libvirt: a pivot waited for holds the domain's job until QEMU
                    // has switched the disk, so the other disks' pivots (and starts, and looks) queue behind it.
                    d.blockJobAbort(disk, LibvirtFlags.BLOCK_JOB_ABORT_PIVOT | LibvirtFlags.BLOCK_JOB_ABORT_ASYNC);
                } catch (LibvirtException notReadyYet) {
                    LOG.debug("pivot of {} not possible yet: {}", disk, notReadyYet.toString());
                    continue;
                }
                awaitPivot(d, disk, statuses, doing, top);
                LOG.debug("pivoted {} onto {}", disk, base);
                verifyGone(d, disk, top, doing);
                return;
            }
            if (!active && (status == BlockJobStatus.COMPLETED || !job)) {
                verifyGone(d, disk, top, doing);
                // A finished job is gone: its end is reported here.
                listener.onProgress(new Progress(disk, Math.max(lastEnd, 1), Math.max(lastEnd, 1)));
                return;
            }
            if (System.currentTimeMillis() - lastChange > stallMillis) {
                abortJob(d, disk);
                throw new HypervisorException(doing + " made no progress for " + stallMillis / 1000 + " s and was"
                        + " aborted; " + top + " keeps all its data", -1, "ESM_BLOCK_JOB_STALLED", "no progress", null);
            }
        }
    }

    /** @return the disk's next block-job status within a poll, or null (also when interrupted: the flag stays set) */
    private static BlockJobStatus next(BlockingQueue<BlockJobStatus> statuses) {
        try {
            return statuses.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Waits for a pivot asked for without waiting: its disk's completion event, or (no event within a poll) the job
     * gone from the disk. A job that stays (QEMU refused the switch) fails the merge after the stall time, the job
     * aborted; the top keeps all its data either way.
     */
    private void awaitPivot(Domain d, String disk, BlockingQueue<BlockJobStatus> statuses, String doing, String top)
            throws LibvirtException {
        long since = System.currentTimeMillis();
        while (true) {
            BlockJobStatus status = next(statuses);
            if (status == BlockJobStatus.COMPLETED) {
                return;
            }
            if (status == BlockJobStatus.FAILED || status == BlockJobStatus.CANCELED) {
                throw new HypervisorException("the pivot of " + doing + " failed; " + top + " keeps all its data", -1,
                        "VIR_DOMAIN_BLOCK_JOB_FAILED", "the pivot failed", null);
            }
            if (status == null) {
                DomainBlockJobInfo info = d.getBlockJobInfo(disk, 0);
                if (info == null || (info.type == 0 && info.end == 0)) {
                    return;
                }
                if (System.currentTimeMillis() - since > stallMillis) {
                    abortJob(d, disk);
                    throw new HypervisorException("the pivot of " + doing + " did not end in " + stallMillis / 1000
                            + " s; the job was aborted and " + top + " keeps all its data", -1,
                            "ESM_BLOCK_JOB_STALLED", "no pivot", null);
                }
            }
        }
    }

    /**
     * A job left on the disk by a process that stopped half-way (QEMU keeps running it; an active commit waits,
     * ready, for a pivot that never comes) is aborted first, so that a recovery can run the merge again. Aborting
     * leaves the top image's data in place. Called when libvirt refused to start the merge.
     *
     * @return whether a job was there (and is gone now)
     */
    private static boolean clearLeftoverJob(Domain d, String disk) throws LibvirtException {
        DomainBlockJobInfo info = d.getBlockJobInfo(disk, 0);
        if (info == null || (info.type == 0 && info.end == 0)) {
            return false;
        }
        LOG.warn("aborting a block job left on {} by an earlier process", disk);
        abortJob(d, disk);
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            info = d.getBlockJobInfo(disk, 0);
            if (info == null || (info.type == 0 && info.end == 0)) {
                return true;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }
        throw new HypervisorException("a block job left on " + disk + " by an earlier process does not end; abort it"
                + " with 'virsh blockjob --abort' and retry", -1, "ESM_BLOCK_JOB_LEFT", "job still running", null);
    }

    /** Checks in the live definition that the merged image left the disk's chain: a job that vanished may have failed. */
    private static void verifyGone(Domain d, String disk, String top, String doing) throws LibvirtException {
        if (DomainXml.chain(d.getXMLDesc(0), disk).contains(top)) {
            throw new HypervisorException(doing + " ended, but " + top + " is still in the disk's chain; the merge"
                    + " failed and " + top + " keeps all its data", -1, "VIR_DOMAIN_BLOCK_JOB_FAILED",
                    "the merged image is still in use", null);
        }
    }

    private static void abortJob(Domain d, String disk) {
        try {
            d.blockJobAbort(disk, 0);
        } catch (LibvirtException e) {
            LOG.debug("aborting the block job on {} failed: {}", disk, e.toString());
        }
    }

    /** Unregisters the block-job events, if registered. */
    @Override
    public synchronized void close() {
        if (blockJobEvents != null) {
            blockJobEvents.close();
        }
    }
}
