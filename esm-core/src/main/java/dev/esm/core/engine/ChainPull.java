package dev.esm.core.engine;

import dev.esm.api.DomainState;
import dev.esm.api.ProgressListener;
import dev.esm.core.plan.Step;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Host;
import dev.esm.core.port.Storage;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * The pull step of one disk ({@link Step.Pull}): a block pull in the running domain (live), or a pull of the image
 * file (offline). Nothing to undo: the image shows what it showed. Run again after a stop, it is done when the image
 * stands on the anchor already; a live pull whose domain was shut off since runs offline. Thread-safe as far as the
 * port is: the pulls of several disks run through it at once, each on the thread that calls it.
 */
final class ChainPull {
    private final Host host;
    private final Storage storage;
    private final String domain;
    private final ProgressListener progress;
    private final Cancellation cancel;
    /** The step runner's logger: a pull's lines are the step runner's, under its name. */
    private final Logger log;

    ChainPull(Host host, String domain, ProgressListener progress, Cancellation cancel, Logger log) {
        this.host = host;
        this.storage = host.storage();
        this.domain = domain;
        this.progress = progress;
        this.cancel = cancel;
        this.log = log;
    }

    void pull(Step.Pull s, boolean again) {
        if (again && storage.backing(s.image().path(), s.image().format()).map(b -> b.path())
                .equals(Optional.of(s.anchor().path()))) {
            log.debug("{} stands on {} already: its pull finished", s.image().path(), s.anchor().path());
            return;
        }
        if (s.live() && (!again || host.state(domain) != DomainState.SHUTOFF)) {
            host.blockPull(domain, s.disk(), s.anchor().path(), progress, cancel);
        } else {
            storage.pull(s.image().path(), s.anchor(), s.disk(), progress, cancel);
        }
        log.info("{}: {} took in the data above {} and stands on it: {}'s chain is shorter", domain,
                s.image().path(), s.anchor().path(), s.disk());
    }
}
