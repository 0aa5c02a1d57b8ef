package dev.esm.core.engine;

import dev.esm.api.CommitCommand;
import dev.esm.api.CreateCommand;
import dev.esm.api.DeleteCommand;
import dev.esm.api.ImageFormat;
import dev.esm.api.ProgressListener;
import dev.esm.core.model.ImageGraph;
import dev.esm.core.plan.MergePlanner;
import dev.esm.core.port.Cancellation;
import java.util.ArrayList;
import dev.esm.api.Disk;
import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.Recovery;
import dev.esm.api.ImageInfo;
import dev.esm.api.Plan;
import dev.esm.api.RevertCommand;
import dev.esm.api.SetupCommand;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.SnapshotInfo;
import dev.esm.api.SnapshotName;
import dev.esm.api.errors.DomainBusyException;
import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.OperationPlan;
import dev.esm.core.plan.Planner;
import dev.esm.core.port.Host;
import dev.esm.core.port.Storage;
import dev.esm.core.xml.DomainXml;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DomainSnapshots} over the port. Thread-safe; see {@link CoreSnapshotManager}.
 */
final class CoreDomainSnapshots implements DomainSnapshots {
    private static final Logger LOG = LoggerFactory.getLogger(CoreDomainSnapshots.class);
    static final Duration LOCK_WAIT = Duration.ofSeconds(60);

    private final Host host;
    private final String name;
    private final Clock clock;
    private final Executor.StepListener listener;
    private final ReentrantLock lock;
    private final ParsedSnapshots parsed;
    private final String key;
    private volatile Recovery lastRecovery;

    CoreDomainSnapshots(Host host, String name, Clock clock, Executor.StepListener listener, ReentrantLock lock,
                        ParsedSnapshots parsed) {
        this.host = host;
        this.parsed = parsed;
        this.name = name;
        this.clock = clock;
        this.listener = listener;
        this.lock = lock;
        String uuid = DomainXml.parse(host.domainXml(name, false)).uuid();
        this.key = uuid.isEmpty() ? name.replaceAll("[^A-Za-z0-9_.-]", "_") : uuid;
    }

    private String journalPath() {
        return dev.esm.core.model.Names.join(host.storage().stateDirectory(), key + ".journal");
    }

    private String lockPath() {
        return dev.esm.core.model.Names.join(host.storage().stateDirectory(), key + ".lock");
    }

    /** Keeps the journal of this domain's running operation in the host's state folder. */
    private final Executor.JournalSink sink = new Executor.JournalSink() {
        @Override
        public void write(dev.esm.core.plan.Journal journal) {
            host.storage().writeAtomically(journalPath(), dev.esm.core.xml.JournalXml.write(journal));
        }

        @Override
        public void clear() {
            host.storage().remove(journalPath());
        }
    };

    /** Runs {@code action} holding this domain's lock, in this process and on the host. */
    private <T> T locked(java.util.function.Supplier<T> action) {
        boolean held;
        try {
            held = lock.tryLock(LOCK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DomainBusyException("interrupted while waiting for another operation on domain '" + name + "'");
        }
        if (!held) {
            throw new DomainBusyException("another operation on domain '" + name + "' has been running for over "
                    + LOCK_WAIT.toSeconds() + " s; retry when it has finished");
        }
        try {
            Storage.Lease lease = host.storage().lock(lockPath(), LOCK_WAIT);
            try {
                return action.get();
            } finally {
                lease.close();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Called when the domain is opened: finishes an operation a stopped process left, if any. */
    void recoverIfUnfinished() {
        if (host.storage().read(journalPath()).isPresent()) {
            recover();
        }
    }

    @Override
    public boolean recover() {
        return locked(this::recoverLocked);
    }

    private boolean recoverLocked() {
        var text = host.storage().read(journalPath());
        if (text.isEmpty()) {
            return false;
        }
        var journal = dev.esm.core.xml.JournalXml.read(text.get());
        // A change, logged at info: the caller learns of it from lastRecovery(), and a CLI's one line of error
        // stays one line.
        LOG.info("domain '{}': found an unfinished {} from {}; recovering", name,
                journal.operation().name().toLowerCase(), journal.started());
        boolean completed = new Executor(host, name, (p, i, s) -> { }, ProgressListener.NONE, Cancellation.none(),
                sink, clock).recover(journal);
        Recovery done = new Recovery(journal.operation(), journal.target(), journal.started(), completed);
        lastRecovery = done;
        LOG.info("domain '{}': {}", name, done.describe());
        return true;
    }

    @Override
    public Optional<Recovery> lastRecovery() {
        return Optional.ofNullable(lastRecovery);
    }

    /**
     * Holds the domain's lock while it reads, so that the journal and the definitions are read between operations,
     * never in the middle of one (which would look interrupted); waits for a running operation like a change does.
     */
    @Override
    public List<String> verify() {
        return locked(() -> Verifier.verify(host, graphed(view(), true), host.storage().read(journalPath()).isPresent()));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DomainState state() {
        return host.state(name);
    }

    @Override
    public List<Disk> disks() {
        return DomainXml.parse(host.domainXml(name, true)).disks().stream().map(d -> d.toApi()).toList();
    }

    @Override
    public int chainLength() {
        return chainLength(Integer.MAX_VALUE);
    }

    /** @return the longest chain's length, counting no further than {@code max} */
    private int chainLength(int max) {
        int longest = 0;
        for (DiskImage top : DomainXml.parse(host.domainXml(name, true)).activeImages()) {
            int n = 0;
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (Optional<DiskImage> img = Optional.of(top); img.isPresent() && seen.add(img.get().path()) && n < max;
                 n++) {
                img = host.storage().backing(img.get().path(), img.get().format());
            }
            longest = Math.max(longest, n);
        }
        return longest;
    }

    /** Cheap unless the domain has many snapshots: then the chains are measured and a long one is reported. */
    private void warnIfChainIsLong() {
        if (host.snapshotCount(name) < LIBVIRT_CHAIN_LIMIT - 60) {
            return;
        }
        int length = chainLength(LIBVIRT_CHAIN_LIMIT + 1);
        if (length >= LIBVIRT_CHAIN_LIMIT - 10) {
            LOG.warn("domain '{}': a disk chain holds {}{} images; libvirt refuses to start a domain beyond {}:"
                    + " commit or delete old snapshots", name, length > LIBVIRT_CHAIN_LIMIT ? "over " : "",
                    Math.min(length, LIBVIRT_CHAIN_LIMIT), LIBVIRT_CHAIN_LIMIT);
        }
    }

    @Override
    public SnapshotChain chain() {
        return view().tree();
    }

    @Override
    public Optional<Snapshot> find(String snapshot) {
        if (DomainSnapshots.BASE.equals(snapshot)) {
            return chain().find(snapshot); // ESM's record or the oldest snapshot: needs the domain and the tree
        }
        try {
            return Optional.of(parsed.parseOne(host.snapshotXml(name, snapshot)).toApi());
        } catch (dev.esm.api.errors.SnapshotNotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public SnapshotInfo info(String snapshot) {
        Snapshot s = find(snapshot).orElseGet(() -> chain().get(snapshot)); // get's error names the snapshots
        List<ImageInfo> infos = s.images().stream()
                .map(i -> host.storage().info(i.path(), i.format()))
                .toList();
        java.util.OptionalLong memory = s.memoryFile().filter(host.storage()::exists)
                .map(m -> java.util.OptionalLong.of(host.storage().size(m))).orElse(java.util.OptionalLong.empty());
        return new SnapshotInfo(s, infos, memory);
    }

    /** The state and the definitions, no snapshot yet: what every view starts from. */
    private DomainView bare() {
        DomainState state = host.state(name);
        var persistent = DomainXml.parse(host.domainXml(name, false));
        var live = state.isActive() ? Optional.of(DomainXml.parse(host.domainXml(name, true)))
                : Optional.<dev.esm.core.model.DomainDefinition>empty();
        return new DomainView(state, persistent, live, List.of(), Optional.empty());
    }

    /** @return {@code bare} with the given snapshots and libvirt's current snapshot */
    private static DomainView with(DomainView bare, List<SnapshotDefinition> snapshots, Optional<String> current) {
        return new DomainView(bare.state(), bare.persistent(), bare.live(), snapshots, current);
    }

    /** @return {@code bare} with every snapshot */
    private DomainView complete(DomainView bare) {
        return with(bare, parsed.parse(host.snapshotXmls(name)), host.currentSnapshot(name));
    }

    /** Reads everything planning needs, in one round of calls. */
    DomainView view() {
        return complete(bare());
    }

    /** The view with the image graph: every image's header read (one call per image). */
    DomainView viewWithGraph() {
        return graphed(view(), false);
    }

    /**
     * @param v a complete view
     * @param tolerant treat an unreadable image as one without backing (for verify), instead of failing
     * @return the view with its image graph
     */
    private DomainView graphed(DomainView v, boolean tolerant) {
        List<DiskImage> tops = new ArrayList<>(v.persistent().activeImages());
        v.live().ifPresent(l -> tops.addAll(l.activeImages()));
        tops.addAll(v.tree().frozenImages());
        v.persistent().record().ifPresent(r -> tops.addAll(r.unnamed()));
        ImageGraph g = ImageGraph.walk(tops, (path, format) -> {
            try {
                return host.storage().backing(path, format);
            } catch (RuntimeException e) {
                if (tolerant) {
                    return Optional.empty();
                }
                throw e;
            }
        });
        return v.withGraph(g);
    }

    /** Reads what setup must know of the images it would move: which are links, which name their backing how. */
    private Planner.SetupFacts setupFacts(DomainView v) {
        Map<String, String> links = new java.util.HashMap<>();
        Map<String, Planner.Backing> backings = new java.util.HashMap<>();
        for (var disk : v.persistent().eligibleDisks()) {
            if (disk.isBlock() || disk.image().isEmpty()) {
                continue;
            }
            DiskImage img = disk.image().get();
            if (!host.storage().exists(img.path())) {
                continue; // the planner and the steps name a missing image
            }
            host.storage().symbolicLink(img.path()).ifPresent(l -> links.put(img.path(), l));
            host.storage().backingReference(img.path(), img.format()).ifPresent(ref -> {
                DiskImage resolved = host.storage().backing(img.path(), img.format()).orElseThrow();
                backings.put(img.path(), new Planner.Backing(ref.name(), resolved, ref.format().isPresent()));
            });
        }
        return new Planner.SetupFacts(links, backings);
    }

    private boolean hasUnnamed(DomainView v) {
        return v.persistent().record().map(r -> !r.unnamed().isEmpty()).orElse(false);
    }

    @Override
    public SetupCommand setup(String directory) {
        class Setup extends AbstractCommand<SnapshotChain> implements SetupCommand {
            Setup() {
                super(v -> Planner.setup(v, directory, host.storage()::existsCheaply, clock.instant(), setupFacts(v)));
            }

            @Override
            SnapshotChain result(OperationPlan plan, DomainView before) {
                return view().tree();
            }
        }
        return new Setup();
    }

    @Override
    public CreateCommand snapshot(String snapshot) {
        SnapshotName.of(snapshot);
        final class Create extends AbstractCommand<Snapshot> implements CreateCommand {
            private String description = "";
            private boolean quiesce;
            private boolean memory;

            Create() {
                super(null);
            }

            @Override
            OperationPlan planFor(DomainView v) {
                return Planner.create(v, snapshot, description, quiesce, memory, host.storage()::existsCheaply,
                        clock.instant());
            }

            @Override
            public CreateCommand memory() {
                checkOpen();
                this.memory = true;
                return this;
            }

            @Override
            public CreateCommand description(String text) {
                checkOpen();
                this.description = Objects.requireNonNull(text, "text");
                return this;
            }

            @Override
            public CreateCommand quiesce() {
                checkOpen();
                this.quiesce = true;
                return this;
            }

            /** Create needs no other snapshot than one of the same name: its cost does not grow with the tree. */
            @Override
            DomainView read() {
                List<SnapshotDefinition> same = new ArrayList<>();
                try {
                    same.add(parsed.parseOne(host.snapshotXml(name, snapshot)));
                } catch (dev.esm.api.errors.SnapshotNotFoundException absent) {
                    // the usual case
                }
                return with(bare(), same, Optional.empty());
            }

            @Override
            Snapshot result(OperationPlan plan, DomainView before) {
                warnIfChainIsLong();
                return parsed.parseOne(host.snapshotXml(name, snapshot)).toApi();
            }
        }
        return new Create();
    }

    @Override
    public RevertCommand revert(String snapshot) {
        return new Revert(snapshot, false);
    }

    @Override
    public RevertCommand refresh() {
        return new Revert(null, true);
    }

    private final class Revert extends AbstractCommand<Snapshot> implements RevertCommand {
        private final String target;
        private final boolean refresh;
        private boolean stopIfRunning;
        private boolean start;
        private Planner.Resume resume = Planner.Resume.NO;

        Revert(String target, boolean refresh) {
            super(null);
            this.target = target;
            this.refresh = refresh;
        }

        /**
         * A revert to a snapshot reads only that snapshot and the current one, so its cost does not grow with the
         * tree; a revert to the base (which may have to clear libvirt's current snapshot through a root) and a
         * domain with unnamed images read everything.
         */
        @Override
        DomainView read() {
            DomainView bare = bare();
            if (refresh || !BASE.equals(target)) {
                if (bare.persistent().record().map(r -> r.unnamed().isEmpty()).orElse(false)) {
                    Optional<String> current = host.currentSnapshot(name);
                    List<SnapshotDefinition> few = new ArrayList<>();
                    java.util.Set<String> wanted = new java.util.LinkedHashSet<>();
                    current.ifPresent(wanted::add);
                    if (!refresh && target != null && SnapshotName.problem(target) == null) {
                        wanted.add(target);
                    }
                    try {
                        for (String n : wanted) {
                            few.add(parsed.parseOne(host.snapshotXml(name, n)));
                        }
                        return with(bare, few, current);
                    } catch (dev.esm.api.errors.SnapshotNotFoundException absent) {
                        // read everything, so that the planner's error names the snapshots there are
                    }
                }
            }
            DomainView v = complete(bare);
            return hasUnnamed(v) ? graphed(v, false) : v;
        }

        @Override
        OperationPlan planFor(DomainView v) {
            String to = refresh
                    ? v.tree().current().map(Snapshot::name).orElseThrow(() ->
                            new dev.esm.api.errors.InvalidOperationException("domain '" + name
                                    + "' has no current snapshot and no frozen base: nothing to refresh to; take a"
                                    + " snapshot or run setup first"))
                    : target;
            // A memory file is written by libvirt, behind a storage's back: its existence is asked for for real.
            java.util.function.Predicate<String> exists = p -> host.storage().existsCheaply(p)
                    || (p.endsWith(".memory") && host.storage().exists(p));
            return Planner.revert(v, to, refresh, new Planner.RevertOptions(stopIfRunning, start, resume), exists,
                    clock.instant());
        }

        @Override
        public RevertCommand stopIfRunning() {
            checkOpen();
            stopIfRunning = true;
            return this;
        }

        @Override
        public RevertCommand start() {
            checkOpen();
            start = true;
            return this;
        }

        @Override
        public RevertCommand running() {
            checkOpen();
            resume = Planner.Resume.RUNNING;
            return this;
        }

        @Override
        public RevertCommand paused() {
            checkOpen();
            resume = Planner.Resume.PAUSED;
            return this;
        }

        @Override
        Snapshot result(OperationPlan plan, DomainView before) {
            return before.tree().get(plan.target()); // a revert changes no snapshot
        }
    }

    @Override
    public DeleteCommand delete(String snapshot) {
        final class Delete extends Merging implements DeleteCommand {
            @Override
            OperationPlan planFor(DomainView v) {
                return MergePlanner.delete(v, snapshot);
            }

            @Override
            public DeleteCommand progress(ProgressListener listener) {
                setProgress(listener);
                return this;
            }
        }
        return new Delete();
    }

    @Override
    public CommitCommand commit(String base, String top) {
        final class Commit extends Merging implements CommitCommand {
            @Override
            OperationPlan planFor(DomainView v) {
                return MergePlanner.commit(v, base, top);
            }

            @Override
            public CommitCommand progress(ProgressListener listener) {
                setProgress(listener);
                return this;
            }
        }
        return new Commit();
    }

    /** Delete and commit: they read the image graph, report progress and can be cancelled. */
    private abstract class Merging extends AbstractCommand<SnapshotChain> {
        Merging() {
            super(null);
        }

        final void setProgress(ProgressListener listener) {
            checkOpen();
            progress = Objects.requireNonNull(listener, "listener");
        }

        public final void cancel() {
            cancellation.cancel();
        }

        @Override
        DomainView read() {
            return viewWithGraph();
        }

        @Override
        SnapshotChain result(OperationPlan plan, DomainView before) {
            return view().tree();
        }
    }

    /** The single-use mechanics shared by every command. */
    private abstract class AbstractCommand<R> {
        private final Function<DomainView, OperationPlan> planner;
        private boolean used;
        private boolean running;
        ProgressListener progress = ProgressListener.NONE;
        final Cancellation cancellation = new Cancellation(null);

        DomainView read() {
            return view();
        }

        AbstractCommand(Function<DomainView, OperationPlan> planner) {
            this.planner = planner;
        }

        OperationPlan planFor(DomainView v) {
            return planner.apply(v);
        }

        /** @return the command's result, from the view read before it ran and whatever it reads again */
        abstract R result(OperationPlan plan, DomainView before);

        final void checkOpen() {
            if (used) {
                throw new IllegalStateException("this command has run already; commands are single-use: make a new one");
            }
        }

        public final Plan plan() {
            checkOpen();
            return planFor(read()).toApi();
        }

        /**
         * Runs the command; a run that failed leaves it open, so it may be executed again (planned again
         * against the domain as it is then). A cancelled command stays cancelled.
         */
        public final R execute() {
            checkOpen();
            if (running) {
                throw new IllegalStateException("this command is running already; commands are single-use");
            }
            running = true;
            try {
                R result = run();
                used = true;
                return result;
            } finally {
                running = false;
            }
        }

        private R run() {
            return locked(() -> {
                recoverLocked();
                // Planned again under the lock: the domain may have changed since plan() or since the caller looked.
                DomainView before = read();
                OperationPlan plan = planFor(before);
                cancellation.runningOn(Thread.currentThread());
                new Executor(host, name, listener, progress, cancellation, sink, clock).run(plan);
                R result = result(plan, before);
                LOG.info("{} on domain '{}' done ({})", plan.operation().name().toLowerCase(), name, plan.target());
                return result;
            });
        }
    }


    @Override
    public String toString() {
        return "DomainSnapshots[" + name + " @ " + host.uri() + "]";
    }
}
