package dev.esm.libvirt.internal.jobs;

import dev.esm.api.ProgressListener;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Fencing;
import dev.esm.core.xml.DomainXml;
import java.util.concurrent.BlockingQueue;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.BlockJobStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.esm.libvirt.internal.connect.LibvirtFlags;

/**
 * Drives block-commit jobs for one connection: starts a job, follows it through its disk's block-job events
 * ({@link BlockJobs}) with polling as a fallback, reports progress, pivots an active commit, aborts a stalled or
 * cancelled job and checks that the merged image left the disk's chain. Several jobs may run at once, on several
 * disks of one domain and on many domains.
 *
 * <p>Thread-safety: thread-safe (no state of its own; {@link BlockJobs} is thread-safe).
 */
public final class BlockCommitDriver {
    private static final Logger LOG = LoggerFactory.getLogger(BlockCommitDriver.class);

    /** The connection's block-job events and stall time. */
    private final BlockJobs jobs;

    /** @param jobs the connection's block-job events and stall time */
    public BlockCommitDriver(BlockJobs jobs) {
        this.jobs = jobs;
    }

    /**
     * Runs one block commit on {@code d}'s {@code disk} to its end (see {@link dev.esm.core.port.Host#blockCommit}).
     *
     * @param domain the domain's name (events are matched by it)
     * @param doing what the merge is, for messages
     */
    public void commit(Domain d, String domain, String disk, String base, String top, boolean active,
                ProgressListener listener, Cancellation cancel, String doing) throws LibvirtException {
        jobs.follow(domain, disk, statuses -> runCommit(d, disk, base, top, active, listener, cancel, statuses, doing));
    }

    /** Runs the commit on the disk's statuses (package-private: the unit tests give the events). */
    void runCommit(Domain d, String disk, String base, String top, boolean active, ProgressListener listener,
                   Cancellation cancel, BlockingQueue<BlockJobStatus> statuses, String doing)
            throws LibvirtException {
        LOG.debug("starting {}", doing);
        BlockJobs.start(d, disk, statuses,
                () -> d.blockCommit(disk, base, top, 0, active ? LibvirtFlags.BLOCK_COMMIT_ACTIVE : 0));
        LOG.debug("started {}", doing);
        JobWatch watch = new JobWatch(d, disk, listener, jobs.stallMillis(), doing, top + " keeps all its data");
        while (true) {
            BlockJobStatus status = BlockJobs.next(statuses);
            // After every wait, before anything that changes the job: a client that lost the domain's lease meanwhile
            // leaves the job to the lease's new owner (which recovers the merge from the journal). The lease is the
            // one the engine bound to this thread for the merge (Fencing); none outside a fenced change.
            Fencing.check();
            if (cancel.isCancelled()) {
                BlockJobs.abortJob(d, disk);
                if (!active && !DomainXml.chain(d.getXMLDesc(0), disk).contains(top)) {
                    // The job completed before the abort reached it: the merge is done, and its disk's steps must run.
                    LOG.debug("{} completed as it was cancelled", doing);
                    watch.reportEnd();
                    return;
                }
                throw new OperationCancelledException(doing + " was cancelled; " + top + " keeps all its data");
            }
            // The event that ends the wait (an intermediate job completed, an active one ready for its pivot) needs
            // no look at the job.
            status = watch.look(status, active ? status == BlockJobStatus.READY : status == BlockJobStatus.COMPLETED);
            boolean job = watch.running();
            if (active && (status == BlockJobStatus.READY || watch.atEnd())) {
                if (!job) {
                    watch.reportEnd();
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
                watch.reportEnd();
                return;
            }
            watch.checkStall();
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
            BlockJobStatus status = BlockJobs.next(statuses);
            if (status == BlockJobStatus.COMPLETED) {
                return;
            }
            if (status == BlockJobStatus.FAILED || status == BlockJobStatus.CANCELED) {
                throw new HypervisorException("the pivot of " + doing + " failed; " + top + " keeps all its data", -1,
                        "VIR_DOMAIN_BLOCK_JOB_FAILED", "the pivot failed", null);
            }
            if (status == null) {
                if (!BlockJobs.isJob(d.getBlockJobInfo(disk, 0))) {
                    return;
                }
                long stallMillis = jobs.stallMillis();
                if (System.currentTimeMillis() - since > stallMillis) {
                    BlockJobs.abortJob(d, disk);
                    throw new HypervisorException("the pivot of " + doing + " did not end in " + stallMillis / 1000
                            + " s; the job was aborted and " + top + " keeps all its data", -1,
                            "ESM_BLOCK_JOB_STALLED", "no pivot", null);
                }
            }
        }
    }

    /** Checks in the live definition that the merged image left the disk's chain: a job that vanished may have failed. */
    private static void verifyGone(Domain d, String disk, String top, String doing) throws LibvirtException {
        if (DomainXml.chain(d.getXMLDesc(0), disk).contains(top)) {
            throw new HypervisorException(doing + " ended, but " + top + " is still in the disk's chain; the merge"
                    + " failed and " + top + " keeps all its data", -1, "VIR_DOMAIN_BLOCK_JOB_FAILED",
                    "the merged image is still in use", null);
        }
    }
}
