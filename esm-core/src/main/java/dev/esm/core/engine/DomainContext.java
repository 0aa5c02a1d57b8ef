package dev.esm.core.engine;

import dev.esm.api.ProgressListener;
import dev.esm.api.Recovery;
import dev.esm.api.Settings;
import dev.esm.core.plan.Journal;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Host;
import dev.esm.core.xml.DomainXml;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every command on one domain shares: the port (fenced by the domain's lease: {@link FencedHost}), the domain's
 * lock, journal and view reader, the manager's settings, and the last recovery. Thread-safe: commands on one domain run one at a time under {@link #lock}; reads
 * run concurrently.
 */
final class DomainContext {
    private static final Logger LOG = LoggerFactory.getLogger(DomainContext.class);

    final Host host;
    final String name;
    final Clock clock;
    /** The tests' fault-injection seam. */
    final StepListener faults;
    final Events events;
    final DomainLock lock;
    final JournalStore journals;
    final Views views;
    /** The chains a create or revert plans pulls from ({@link dev.esm.core.plan.DepthLimit}). */
    final ChainReads chains;
    /** How long an operation waits for another one on the domain. */
    final java.time.Duration lockWait;
    /** How the manager reaches the host's images, as it was given ({@link Settings#imageAccess()}). */
    final dev.esm.api.ImageAccess imageAccess;
    /** The manager's executor ({@link Settings#executor()}): every operation's concurrent work runs on it. */
    final java.util.concurrent.ExecutorService workers;
    private volatile Recovery lastRecovery;
    /** The domain's key in the state store (its UUID). */
    private final String key;

    DomainContext(Host host, String name, Clock clock, StepListener faults, Settings settings,
                  ReentrantLock local, ParsedSnapshots parsed) {
        Fence fence = new Fence();
        this.host = new FencedHost(host, fence);
        this.name = name;
        this.clock = clock;
        this.faults = faults;
        this.events = new Events(settings.listener(), name, clock);
        String uuid = DomainXml.parse(host.domainXml(name, false)).uuid();
        String key = uuid.isEmpty() ? name.replaceAll("[^A-Za-z0-9_.-]", "_") : uuid;
        this.key = key;
        this.lockWait = settings.lockWait();
        this.workers = settings.executor();
        this.imageAccess = settings.imageAccess();
        this.lock = new DomainLock(host.stateStore(), name, key, local, settings.lockWait(), fence);
        this.journals = new JournalStore(this.host.stateStore(), key); // fenced: a journal write is a change
        this.views = new Views(host, name, parsed,
                new TreeIndex(host, name, key, parsed, () -> this.lock.holder().isPresent()));
        this.chains = new ChainReads(host, name, settings.maxChainDepth());
    }

    /** @return a new executor for one plan, reporting to {@code events} */
    Executor executor(ProgressListener progress, Cancellation cancellation, Events events) {
        return new Executor(host, name, faults, events, progress, cancellation, journals, clock, workers);
    }

    /**
     * Finishes an operation a stopped process left, if its journal is there; the caller holds the lock.
     *
     * @return whether there was one
     */
    boolean recoverLocked() {
        boolean transfer = TransferRecovery.finish(host, name, key);
        Optional<Journal> found = journals.read();
        if (found.isEmpty()) {
            return transfer;
        }
        Journal journal = found.get();
        // A change, logged at info: the caller learns of it from lastRecovery(), and a CLI's one line of error
        // stays one line.
        LOG.info("domain '{}': found an unfinished {} from {}; recovering", name,
                journal.operation().name().toLowerCase(), journal.started());
        boolean completed = new Executor(host, name, (p, i, s) -> { }, Events.NONE, ProgressListener.NONE,
                Cancellation.none(), journals, clock, workers).recover(journal);
        Recovery done = new Recovery(journal.operation(), journal.target(), journal.started(), completed);
        lastRecovery = done;
        LOG.info("domain '{}': {}", name, done.describe());
        events.recovered(done);
        return true;
    }

    /** @return what the last recovery in this handle did */
    Optional<Recovery> lastRecovery() {
        return Optional.ofNullable(lastRecovery);
    }
}
