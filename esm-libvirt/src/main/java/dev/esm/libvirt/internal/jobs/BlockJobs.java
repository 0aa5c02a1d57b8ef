package dev.esm.libvirt.internal.jobs;

import dev.esm.api.errors.HypervisorException;
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

/**
 * What the block-job drivers of one connection share ({@link BlockCommitDriver}, {@link BlockPullDriver}): the
 * connection's block-job events ({@link BlockJobEvents}, one registration per connection, made at the first job)
 * with polling as a fallback, the stall time, and the calls every job makes: a start that first clears a job an
 * earlier process left on the disk, a wait for the disk's next event, an abort.
 *
 * <p>Thread-safety: thread-safe; the mutable state is the lazily registered event callback (under this object's
 * monitor) and whether events are used.
 */
public final class BlockJobs implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockJobs.class);
    /** How often a block job is looked at when no event arrives; events usually come first. */
    static final long POLL_MILLIS = 100;

    /** The connection events are registered on. */
    private final Connect conn;
    /** Throws once the owner is closed. */
    private final Runnable checkOpen;
    /** The longest a job may make no progress at all before it is aborted and reported as failed. */
    private final long stallMillis;
    /** Whether libvirt's event loop runs (else block jobs are polled). */
    private volatile boolean events;
    /** This connection's block-job events, registered at the first job. */
    private volatile BlockJobEvents blockJobEvents;

    /** A job's run on its disk's statuses. */
    @FunctionalInterface
    interface Run {
        /** Runs the job to its end, its disk's block-job statuses arriving in {@code statuses}. */
        void run(BlockingQueue<BlockJobStatus> statuses) throws LibvirtException;
    }

    /** A call that starts a block job. */
    @FunctionalInterface
    interface Start {
        /** Asks libvirt to start the job. */
        void start() throws LibvirtException;
    }

    /**
     * @param conn the connection block-job events are registered on
     * @param events whether libvirt's event loop runs (else jobs are polled)
     * @param stallMillis the longest a job may make no progress before it is aborted
     * @param checkOpen throws once the owner is closed
     */
    public BlockJobs(Connect conn, boolean events, long stallMillis, Runnable checkOpen) {
        this.conn = conn;
        this.events = events;
        this.stallMillis = stallMillis;
        this.checkOpen = checkOpen;
    }

    /** @return the longest a job may make no progress before it is aborted, in milliseconds */
    long stallMillis() {
        return stallMillis;
    }

    /** Runs {@code run} with {@code domain}'s {@code disk}'s block-job statuses (none when jobs are polled). */
    void follow(String domain, String disk, Run run) throws LibvirtException {
        BlockJobEvents events = blockJobEvents();
        if (events == null) {
            run.run(new LinkedBlockingQueue<>());
            return;
        }
        try (BlockJobEvents.Subscription sub = events.subscribe(domain, disk)) {
            run.run(sub.statuses());
        }
    }

    /**
     * @return the connection's block-job events (registered at the first job: commands that run none do not pay for
     *         it), or null when no event loop runs (jobs are then polled)
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

    /**
     * Starts a job on {@code d}'s {@code disk}. When libvirt refuses and a job an earlier process left is on the
     * disk, that job is aborted, its events dropped, and the start tried once more.
     */
    static void start(Domain d, String disk, BlockingQueue<BlockJobStatus> statuses, Start start)
            throws LibvirtException {
        try {
            start.start();
        } catch (LibvirtException | HypervisorException refused) {
            // (ESM's own calls through JNA throw libvirt's refusal as a HypervisorException.)
            // Looked for only when refused: a look before every start waits, like the start, for the domain's job,
            // behind the other disks' starts.
            if (!clearLeftoverJob(d, disk)) {
                throw refused;
            }
            statuses.clear(); // the aborted job's events
            start.start();
        }
    }

    /** @return the disk's next block-job status within a poll, or null (also when interrupted: the flag stays set) */
    static BlockJobStatus next(BlockingQueue<BlockJobStatus> statuses) {
        try {
            return statuses.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** @return whether libvirt's answer describes a job (it answers with an empty one when the disk has none) */
    static boolean isJob(DomainBlockJobInfo info) {
        return info != null && (info.type != 0 || info.end != 0);
    }

    /**
     * A job left on the disk by a process that stopped half-way (QEMU keeps running it; an active commit waits,
     * ready, for a pivot that never comes) is aborted first, so that a recovery can run the job again. Aborting
     * leaves every image's data in place. Called when libvirt refused to start a job.
     *
     * @return whether a job was there (and is gone now)
     */
    private static boolean clearLeftoverJob(Domain d, String disk) throws LibvirtException {
        if (!isJob(d.getBlockJobInfo(disk, 0))) {
            return false;
        }
        LOG.warn("aborting a block job left on {} by an earlier process", disk);
        abortJob(d, disk);
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            if (!isJob(d.getBlockJobInfo(disk, 0))) {
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

    /** Aborts the disk's job (not waiting for its end); a failure is only logged. */
    static void abortJob(Domain d, String disk) {
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
