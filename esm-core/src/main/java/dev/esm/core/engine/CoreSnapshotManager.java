package dev.esm.core.engine;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Settings;
import dev.esm.api.SnapshotManager;
import dev.esm.core.port.Host;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link SnapshotManager} over a {@link Host}. Thread-safe: changing operations on one domain are
 * serialised by a per-domain lock; reads are not locked.
 *
 * <p>Threads: one policy for the whole engine. An operation runs on the thread that calls it; what it runs at once
 * (the merges of several disks, a run of file steps, a restore prepared ahead) runs on {@link Settings#executor()},
 * and the calling thread waits for all of it before it returns (see {@link Executor}). The engine makes no thread and
 * no pool of its own, and never shuts the executor down: the default one is shared and needs no shutting down, one
 * given to the builder is its caller's, and {@link #close()} leaves it running.
 */
public final class CoreSnapshotManager implements SnapshotManager, PortBacked {
    private final Host host;
    private final Clock clock;
    private final StepListener listener;
    private final Settings settings;
    private final ConcurrentMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    /** Each domain's snapshot XMLs already parsed (shared by every handle on the domain). */
    private final ConcurrentMap<String, ParsedSnapshots> parsed = new ConcurrentHashMap<>();
    /** How many domains' parsed snapshots are kept before all are forgotten (and parsed again as needed). */
    private static final int MAX_PARSED = 1000;

    /** @param host the port; closed with this manager */
    public CoreSnapshotManager(Host host) {
        this(host, Settings.defaults());
    }

    /**
     * @param host the port; closed with this manager
     * @param settings the lock wait, the operation listener and the executor are used here; the port was made with
     *                 the rest
     */
    public CoreSnapshotManager(Host host, Settings settings) {
        this(host, Clock.systemUTC(), (p, i, s) -> { }, settings);
    }

    /**
     * @param host the port; closed with this manager
     * @param clock the time source for creation times
     * @param listener observes every step (tests inject faults here)
     */
    public CoreSnapshotManager(Host host, Clock clock, StepListener listener) {
        this(host, clock, listener, Settings.defaults());
    }

    /**
     * @param host the port; closed with this manager
     * @param clock the time source for creation times
     * @param listener observes every step (tests inject faults here)
     * @param settings the lock wait, the operation listener and the executor are used here
     */
    public CoreSnapshotManager(Host host, Clock clock, StepListener listener, Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.host = Objects.requireNonNull(host, "host");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public String uri() {
        return host.uri();
    }

    @Override
    public DomainSnapshots domain(String name) {
        Objects.requireNonNull(name, "name");
        try {
            host.state(name); // fails fast with DomainNotFoundException
        } catch (dev.esm.api.errors.DomainNotFoundException gone) {
            finishMoveAway(name, gone);
            throw gone;
        }
        if (parsed.size() > MAX_PARSED) {
            parsed.clear();
        }
        CoreDomainSnapshots d = new CoreDomainSnapshots(host, name, clock, listener, settings,
                locks.computeIfAbsent(name, n -> new ReentrantLock()),
                parsed.computeIfAbsent(name, n -> new ParsedSnapshots()));
        d.recoverIfUnfinished();
        return d;
    }

    /**
     * A domain not defined here may have been moved away by a process that stopped after it undefined the domain
     * here: its move is finished from here (found by name, {@link TransferKeys#leaving}), under its lock, and the
     * caller is told where it went.
     */
    private void finishMoveAway(String name, dev.esm.api.errors.DomainNotFoundException gone) {
        java.util.Optional<String> uuid = host.stateStore().readJournal(TransferKeys.leaving(name));
        if (uuid.isEmpty()) {
            return;
        }
        java.util.Optional<String> target = host.stateStore().readJournal(new TransferKeys(uuid.get()).journal())
                .map(dev.esm.core.plan.TransferJournal::read).map(dev.esm.core.plan.TransferJournal::target);
        boolean finished;
        try (dev.esm.core.port.StateStore.Lease lease = host.stateStore().lock(uuid.get(), settings.lockWait())) {
            finished = TransferRecovery.finish(host, name, uuid.get(), settings.lockWait());
        }
        host.stateStore().removeJournal(TransferKeys.leaving(name));
        if (finished && target.isPresent()) {
            throw new dev.esm.api.errors.DomainNotFoundException("domain '" + name + "' is no longer on this host:"
                    + " its move to " + target.get() + " had stopped after it left here, and is completed now; open it"
                    + " there", gone);
        }
    }

    @Override
    public Host port() {
        return host;
    }

    @Override
    public dev.esm.api.ImageAccess imageAccess() {
        return settings.imageAccess().resolve(host.uri());
    }

    @Override
    public java.util.List<dev.esm.api.Finding> verifyHeld(String domain) {
        return ((CoreDomainSnapshots) domain(domain)).checkHeld();
    }

    /** Closes the port; the executor is not shut down (see the class comment). */
    @Override
    public void close() {
        host.close();
    }
}
