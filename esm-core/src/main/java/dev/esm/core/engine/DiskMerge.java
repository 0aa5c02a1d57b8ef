package dev.esm.core.engine;

import dev.esm.api.DomainState;
import dev.esm.api.ImageFormat;
import dev.esm.api.ProgressListener;
import dev.esm.core.plan.Step;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Host;
import dev.esm.core.port.Storage;
import dev.esm.core.xml.DomainXml;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * The merge step of one disk ({@link Step.Merge}): a block commit in the running domain (live), or a commit of the
 * image files (offline); run again after a stop, it first finds whether the merge finished. Thread-safe as far as the
 * port is: the merges of several disks run through it at once, each on the thread that calls it.
 */
final class DiskMerge {
    private final Host host;
    private final Storage storage;
    private final String domain;
    private final ProgressListener progress;
    private final Cancellation cancel;
    /** The step runner's logger: a merge's lines are the step runner's, under its name. */
    private final Logger log;

    DiskMerge(Host host, String domain, ProgressListener progress, Cancellation cancel, Logger log) {
        this.host = host;
        this.storage = host.storage();
        this.domain = domain;
        this.progress = progress;
        this.cancel = cancel;
        this.log = log;
    }

    void merge(Step.Merge s, boolean again) {
        if (again) {
            if (!storage.exists(s.top().path())) {
                return; // merged and removed already
            }
            if (s.live() && host.state(domain) != DomainState.SHUTOFF
                    && !DomainXml.chain(host.domainXml(domain, true), s.disk()).contains(s.top().path())) {
                log.debug("{} is out of {}'s chain: its merge finished", s.top().path(), s.disk());
                return;
            }
            if (s.live() && host.state(domain) == DomainState.SHUTOFF && !inStoredChain(s)) {
                // Shut off since: the images' headers tell whether the block job finished.
                log.debug("{} is out of {}'s chain in the image headers: its merge finished", s.top().path(), s.disk());
                return;
            }
        }
        if (s.live() && (!again || host.state(domain) != DomainState.SHUTOFF)) {
            host.blockCommit(domain, s.disk(), s.base().path(), s.top().path(), s.activeLayer(), progress, cancel);
        } else {
            storage.commit(s.top().path(), s.base().path(), s.disk(), progress, cancel);
        }
        log.info("{}: merged {} into {}", domain, s.top().path(), s.base().path());
    }

    /**
     * Whether a live merge's top is still in its disk's chain as the image headers give it, from the disk's image in
     * the domain's definition down to the merge's base: a finished block job left the image above the top (or, after
     * a pivot and the new definition, the domain) standing on the base. A chain that cannot be read counts as not
     * merged (the merge then runs offline, as before).
     */
    private boolean inStoredChain(Step.Merge s) {
        try {
            Optional<String> p = DomainXml.parse(host.domainXml(domain, false)).disk(s.disk())
                    .flatMap(dev.esm.core.model.DiskDef::source);
            for (int depth = 0; p.isPresent() && depth < 10_000; depth++) {
                if (p.get().equals(s.top().path())) {
                    return true;
                }
                if (p.get().equals(s.base().path())) {
                    return false;
                }
                p = storage.info(p.get(), ImageFormat.QCOW2).backing();
            }
            return false;
        } catch (RuntimeException unreadable) {
            log.debug("the chain of {} cannot be read ({}); merging again", s.disk(), unreadable.toString());
            return true;
        }
    }
}
