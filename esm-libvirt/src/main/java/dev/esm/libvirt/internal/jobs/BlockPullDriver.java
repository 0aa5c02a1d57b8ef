package dev.esm.libvirt.internal.jobs;

import dev.esm.api.Progress;
import dev.esm.api.ProgressListener;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.api.errors.UnsupportedDiskException;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Fencing;
import dev.esm.core.xml.DomainXml;
import dev.esm.libvirt.internal.connect.LibvirtFlags;
import dev.esm.libvirt.internal.connect.NativeLibvirt;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.function.Predicate;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.BlockJobStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives block-pull jobs for one connection ({@link dev.esm.core.port.Host#blockPull}): a libvirt block rebase with
 * a base and no flags ({@code virDomainBlockRebase}, a block stream job of type PULL) on a running domain's active
 * layer, followed through its disk's block-job events ({@link BlockJobs}) with polling as a fallback; reports
 * progress, aborts a stalled or cancelled job and checks that the pulled images left the disk's chain. Only the
 * active layer is written, and QEMU points its header at the base when the job completes, so a job that fails or is
 * aborted leaves the disk showing what it showed, on its old chain.
 *
 * <p>On a host whose QEMU (before 10.0) aborts a domain that pulls into an image with subclusters, a pull into such
 * an active layer is refused before any job, on the live chain the pull reads anyway.
 *
 * <p>Thread-safety: thread-safe (no mutable state of its own; {@link BlockJobs} is thread-safe, and so must the
 * subcluster check be).
 */
public final class BlockPullDriver {
    private static final Logger LOG = LoggerFactory.getLogger(BlockPullDriver.class);

    /** What a pull that did not complete leaves, for messages. */
    private static final String KEPT = "the disk shows what it showed, on its old chain";

    /** Starts a pull job (package-private: the unit tests start none). */
    @FunctionalInterface
    interface Rebase {
        /** Asks libvirt to pull into {@code disk}'s active layer the images above {@code base}. */
        void start(Domain d, String disk, String base) throws LibvirtException;
    }

    private final BlockJobs jobs;
    /** Whether this host's QEMU pulls into images with subclusters while their domain runs. */
    private final boolean pullsSubclusters;
    /** Whether an image has subclusters ({@link dev.esm.core.port.Storage#subclusters}). */
    private final Predicate<String> subclusters;
    private final Rebase rebase;

    /**
     * @param jobs the connection's block-job events and stall time
     * @param pullsSubclusters whether this host's QEMU pulls into images with subclusters while their domain runs
     *        (false: every live pull's active layer is checked, and refused if it has them)
     * @param subclusters whether an image has subclusters (the host's storage)
     */
    public BlockPullDriver(BlockJobs jobs, boolean pullsSubclusters, Predicate<String> subclusters) {
        this(jobs, pullsSubclusters, subclusters,
                (d, disk, base) -> NativeLibvirt.blockRebase(d, disk, base, LibvirtFlags.BLOCK_REBASE_PULL));
    }

    BlockPullDriver(BlockJobs jobs, boolean pullsSubclusters, Predicate<String> subclusters, Rebase rebase) {
        this.jobs = jobs;
        this.pullsSubclusters = pullsSubclusters;
        this.subclusters = subclusters;
        this.rebase = rebase;
    }

    /**
     * Runs one block pull on {@code d}'s {@code disk} to its end (see {@link dev.esm.core.port.Host#blockPull}).
     *
     * @param domain the domain's name (events are matched by it)
     * @param anchor the image, in the disk's live chain below its active layer, that becomes its backing image
     * @param doing what the pull is, for messages
     */
    public void pull(Domain d, String domain, String disk, String anchor, ProgressListener listener,
                     Cancellation cancel, String doing) throws LibvirtException {
        jobs.follow(domain, disk, statuses -> runPull(d, domain, disk, anchor, listener, cancel, statuses, doing));
    }

    /** Runs the pull on the disk's statuses (package-private: the unit tests give the events). */
    void runPull(Domain d, String domain, String disk, String anchor, ProgressListener listener, Cancellation cancel,
                 BlockingQueue<BlockJobStatus> statuses, String doing) throws LibvirtException {
        List<String> chain = DomainXml.chain(d.getXMLDesc(0), disk);
        if (!chain.isEmpty()) {
            refuseSubclusters(domain, disk, chain.get(0));
        }
        int at = chain.indexOf(anchor);
        if (at < 1) {
            throw new InvalidOperationException(doing + ": " + anchor + " is not below the active layer in the disk's"
                    + " live chain " + chain + "; a pull runs on a running domain, onto an image of its disk's chain");
        }
        List<String> pulled = List.copyOf(chain.subList(1, at));
        if (pulled.isEmpty()) {
            // Pulled already (a recovery runs the step again): the active layer stands on the anchor.
            LOG.debug("{}: {} already stands on {}", doing, chain.get(0), anchor);
            listener.onProgress(new Progress(disk, 1, 1));
            return;
        }
        LOG.debug("starting {}: pulling {}", doing, pulled);
        BlockJobs.start(d, disk, statuses, () -> rebase.start(d, disk, anchor));
        LOG.debug("started {}", doing);
        JobWatch watch = new JobWatch(d, disk, listener, jobs.stallMillis(), doing, KEPT);
        while (true) {
            BlockJobStatus status = BlockJobs.next(statuses);
            // After every wait, before anything that changes the job: a client that lost the domain's lease leaves
            // the job to the lease's new owner (see BlockCommitDriver).
            Fencing.check();
            if (cancel.isCancelled()) {
                BlockJobs.abortJob(d, disk);
                if (gone(d, disk, pulled)) {
                    // The job completed before the abort reached it: the pull is done, and its disk's steps must run.
                    LOG.debug("{} completed as it was cancelled", doing);
                    watch.reportEnd();
                    return;
                }
                throw new OperationCancelledException(doing + " was cancelled; " + KEPT);
            }
            // A completion ends the wait with no look at the job (each look waits for the other disks' calls).
            status = watch.look(status, status == BlockJobStatus.COMPLETED);
            if (status == BlockJobStatus.COMPLETED || !watch.running()) {
                if (!gone(d, disk, pulled)) {
                    throw new HypervisorException(doing + " ended, but the disk's chain still holds " + pulled
                            + "; the pull failed and " + KEPT, -1, "VIR_DOMAIN_BLOCK_JOB_FAILED",
                            "the pulled images are still in use", null);
                }
                LOG.debug("{} done", doing);
                watch.reportEnd();
                return;
            }
            watch.checkStall();
        }
    }

    /**
     * Refuses a pull into an active layer with subclusters on a host whose QEMU (before 10.0) aborts the domain that
     * pulls into one. ESM makes the overlays it will pull into classic on such a QEMU; one made otherwise is refused,
     * not pulled.
     */
    private void refuseSubclusters(String domain, String disk, String active) {
        if (!pullsSubclusters && subclusters.test(active)) {
            throw new UnsupportedDiskException("the image " + active + " of " + disk
                    + " has subclusters, and this host's QEMU (before 10.0) aborts a domain that pulls into such an"
                    + " image, so the chain cannot be shortened while '" + domain + "' runs: take the snapshot"
                    + " with the domain shut off (the pull then runs offline; through libvirt's storage API it"
                    + " runs in a helper domain and cannot either), or set a higher maxChainDepth");
        }
    }

    /** @return whether none of the pulled images is in the disk's live chain any more */
    private static boolean gone(Domain d, String disk, List<String> pulled) throws LibvirtException {
        List<String> chain = DomainXml.chain(d.getXMLDesc(0), disk);
        return pulled.stream().noneMatch(chain::contains);
    }
}
