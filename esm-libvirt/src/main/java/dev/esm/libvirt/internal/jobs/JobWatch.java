package dev.esm.libvirt.internal.jobs;

import dev.esm.api.Progress;
import dev.esm.api.ProgressListener;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.errors.OperationCancelledException;
import org.libvirt.Domain;
import org.libvirt.DomainBlockJobInfo;
import org.libvirt.LibvirtException;
import org.libvirt.event.BlockJobStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running block job as its driver follows it: looks at the job after an event (or none), fails on a failed or
 * aborted job, reports progress, and tells when it made none for the stall time.
 *
 * <p>Thread-safety: not thread-safe; used by the one thread that drives the job.
 */
final class JobWatch {
    private static final Logger LOG = LoggerFactory.getLogger(JobWatch.class);

    private final Domain d;
    private final String disk;
    private final ProgressListener listener;
    private final long stallMillis;
    /** What the job is, for messages. */
    private final String doing;
    /** What a job that fails or is aborted leaves, for messages. */
    private final String kept;
    private long lastDone = -1;
    private long lastEnd;
    private long lastChange = System.currentTimeMillis();
    private DomainBlockJobInfo info;

    /**
     * @param doing what the job is, for messages
     * @param kept what a job that fails or is aborted leaves ("the top keeps all its data"), for messages
     */
    JobWatch(Domain d, String disk, ProgressListener listener, long stallMillis, String doing, String kept) {
        this.d = d;
        this.disk = disk;
        this.listener = listener;
        this.stallMillis = stallMillis;
        this.doing = doing;
        this.kept = kept;
    }

    /**
     * Takes in the disk's latest status: looks at the job (unless the status alone decides: with several disks' jobs
     * on one domain, each look waits for the others' calls), reports its progress, and throws when it failed or
     * someone else aborted it.
     *
     * @param decisive whether the status ends the wait without a look at the job
     * @return the status, or null for a late failure or abort event while the job still runs (an earlier job's)
     */
    BlockJobStatus look(BlockJobStatus status, boolean decisive) throws LibvirtException {
        info = decisive ? null : d.getBlockJobInfo(disk, 0);
        boolean job = running();
        if ((status == BlockJobStatus.FAILED || status == BlockJobStatus.CANCELED) && job && info.cur > 0
                && lastDone >= 0) {
            LOG.debug("ignoring a late {} event on {}: the job is still running", status, disk);
            status = null;
        }
        if (status == BlockJobStatus.FAILED) {
            throw new HypervisorException(doing + " failed; " + kept, -1, "VIR_DOMAIN_BLOCK_JOB_FAILED",
                    "the block job failed", null);
        }
        if (status == BlockJobStatus.CANCELED) {
            throw new OperationCancelledException(doing + " was aborted by someone else; " + kept);
        }
        if (job) {
            lastEnd = info.end;
            listener.onProgress(new Progress(disk, info.cur, info.end));
            if (info.cur != lastDone) {
                lastDone = info.cur;
                lastChange = System.currentTimeMillis();
            }
        }
        return status;
    }

    /** @return whether the last look found the job on the disk */
    boolean running() {
        return BlockJobs.isJob(info);
    }

    /** @return whether the last look found the job with all its work done */
    boolean atEnd() {
        return running() && info.end > 0 && info.cur == info.end;
    }

    /** Reports the job's end (a finished job is gone, so its end is not read from it). */
    void reportEnd() {
        listener.onProgress(new Progress(disk, Math.max(lastEnd, 1), Math.max(lastEnd, 1)));
    }

    /** Aborts the job and throws when it made no progress for the stall time. */
    void checkStall() {
        if (System.currentTimeMillis() - lastChange > stallMillis) {
            BlockJobs.abortJob(d, disk);
            throw new HypervisorException(doing + " made no progress for " + stallMillis / 1000 + " s and was"
                    + " aborted; " + kept, -1, "ESM_BLOCK_JOB_STALLED", "no progress", null);
        }
    }
}
