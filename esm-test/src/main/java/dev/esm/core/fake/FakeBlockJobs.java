package dev.esm.core.fake;

import static dev.esm.core.fake.FakeErrors.invalid;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.Progress;
import dev.esm.api.ProgressListener;
import dev.esm.core.port.Cancellation;
import dev.esm.core.xml.DomainXml;
import java.util.Map;
import java.util.Optional;

/**
 * The fake's block jobs on running domains ({@link dev.esm.core.port.Host#blockCommit},
 * {@link dev.esm.core.port.Host#blockPull}): each reports its start and end, as libvirt's event thread does, and
 * merges or pulls in {@link FakeStorage} in one go; an active commit points the domain's live definition at the base.
 *
 * <p>Thread-safety: thread-safe: every read and change of a domain or its images happens under the host's lock (the
 * object given), and progress is reported outside it, so that a listener may cancel.
 */
final class FakeBlockJobs {
    /** The host's running domains, as the jobs see them: called under the host's lock. */
    interface LiveDomains {
        /** Fails (as libvirt does) unless the domain exists and runs. */
        void requireRunning(String domain);

        /** @return the domain's live definition */
        String liveXml(String domain);

        /** Replaces the domain's live definition. */
        void liveXml(String domain, String xml);
    }

    private final Object lock;
    private final FakeStorage storage;
    private final LiveDomains domains;

    /**
     * @param lock the host's lock, held for every read and change of its domains
     * @param storage the images
     * @param domains the host's domains
     */
    FakeBlockJobs(Object lock, FakeStorage storage, LiveDomains domains) {
        this.lock = lock;
        this.storage = storage;
        this.domains = domains;
    }

    /** @see dev.esm.core.port.Host#blockCommit */
    void commit(String domain, String disk, String base, String top, boolean active, ProgressListener listener,
                Cancellation cancel) {
        synchronized (lock) {
            domains.requireRunning(domain);
        }
        // Progress is reported outside the lock, as libvirt's event thread does, so a listener may cancel.
        listener.onProgress(new Progress(disk, 0, 1));
        synchronized (lock) {
            String live = domains.liveXml(domain);
            DiskImage activeImage = DomainXml.parse(live).disk(disk).flatMap(x -> x.image()).orElseThrow();
            if (active != activeImage.path().equals(top)) {
                throw invalid("top " + top + " is " + (active ? "not " : "") + "the active layer of " + disk);
            }
            String above = null;
            for (String p = activeImage.path(); !p.equals(top); p = storage.info(p, ImageFormat.QCOW2).backing()
                    .orElseThrow(() -> invalid(top + " is not in the chain of " + disk))) {
                above = p;
            }
            storage.mergeInto(top, base, cancel);
            if (active) {
                domains.liveXml(domain, DomainXml.rewrite(live,
                        Map.of(disk, new DiskImage(disk, base, ImageFormat.QCOW2)), Optional.empty()));
            } else {
                storage.rebase(above, new DiskImage(disk, base, ImageFormat.QCOW2));
            }
        }
        listener.onProgress(new Progress(disk, 1, 1));
    }

    /** @see dev.esm.core.port.Host#blockPull */
    void pull(String domain, String disk, String anchor, ProgressListener listener, Cancellation cancel) {
        synchronized (lock) {
            domains.requireRunning(domain);
        }
        listener.onProgress(new Progress(disk, 0, 1));
        synchronized (lock) {
            String active = DomainXml.parse(domains.liveXml(domain)).disk(disk).flatMap(x -> x.image()).orElseThrow()
                    .path();
            storage.pullInto(active, anchor, cancel);
        }
        listener.onProgress(new Progress(disk, 1, 1));
    }
}
