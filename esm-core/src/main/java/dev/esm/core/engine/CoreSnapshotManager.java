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
 */
public final class CoreSnapshotManager implements SnapshotManager {
    private final Host host;
    private final Clock clock;
    private final Executor.StepListener listener;
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
     * @param settings the lock wait and the operation listener are used here; the port was made with the rest
     */
    public CoreSnapshotManager(Host host, Settings settings) {
        this(host, Clock.systemUTC(), (p, i, s) -> { }, settings);
    }

    /**
     * @param host the port; closed with this manager
     * @param clock the time source for creation times
     * @param listener observes every step (tests inject faults here)
     */
    public CoreSnapshotManager(Host host, Clock clock, Executor.StepListener listener) {
        this(host, clock, listener, Settings.defaults());
    }

    /**
     * @param host the port; closed with this manager
     * @param clock the time source for creation times
     * @param listener observes every step (tests inject faults here)
     * @param settings the lock wait and the operation listener are used here
     */
    public CoreSnapshotManager(Host host, Clock clock, Executor.StepListener listener, Settings settings) {
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
        host.state(name); // fails fast with DomainNotFoundException
        if (parsed.size() > MAX_PARSED) {
            parsed.clear();
        }
        CoreDomainSnapshots d = new CoreDomainSnapshots(host, name, clock, listener, settings,
                locks.computeIfAbsent(name, n -> new ReentrantLock()),
                parsed.computeIfAbsent(name, n -> new ParsedSnapshots()));
        d.recoverIfUnfinished();
        return d;
    }

    @Override
    public void close() {
        host.close();
    }
}
