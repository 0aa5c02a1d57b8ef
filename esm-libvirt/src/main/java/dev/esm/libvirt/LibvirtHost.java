package dev.esm.libvirt;

import dev.esm.api.DomainState;
import dev.esm.core.port.Host;
import dev.esm.core.port.SnapshotFlag;
import dev.esm.core.port.Storage;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.Xml;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import dev.esm.api.Progress;
import dev.esm.api.ProgressListener;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.core.port.Cancellation;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.libvirt.Connect;
import org.libvirt.DomainBlockJobInfo;
import org.libvirt.event.BlockJobStatus;
import org.libvirt.Domain;
import org.libvirt.DomainSnapshot;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ESM's port over one libvirt connection (libvirt-java). Every libvirt object it looks up is freed before the
 * call returns; nothing relies on finalizers. libvirt errors become {@link dev.esm.api.errors.EsmException}s
 * with libvirt's code and message.
 *
 * <p>Block jobs: several may run at once, on several disks of one domain and on many domains; each waits for its
 * own disk's events ({@link BlockJobEvents}, one registration per connection) and polls the job as a fallback.
 *
 * <p>Many domains at once: each domain's calls go through one of a few connections
 * ({@link dev.esm.api.Settings#connections()}; opened as domains need them), so that libvirtd's per-connection limit
 * on calls in progress does not make one domain's calls wait for another's. No lock is held across a call on a domain.
 *
 * <p>Snapshot trees: the snapshots' XMLs are kept in a {@link SnapshotCache}, revalidated on every read against
 * libvirt's own snapshot metadata files when the daemon is on this machine ({@link MetadataFiles}), so that reading a
 * tree costs a few calls whatever its size, and a change made behind ESM's back ({@code virsh}) is still seen at the
 * next read. Over a remote URI (or another root's daemon) there are no markers to read, and every tree read fetches
 * each snapshot's XML.
 *
 * <p>Thread-safety: thread-safe; libvirt connections may be used from several threads; the mutable state is the
 * closed flag, the lazily opened connections (each opened under its slot's monitor, stored and closed under the
 * array's), the domains' assignment to them (a concurrent map), the snapshot cache (thread-safe) and the lazily
 * registered event callback (under this object's monitor).
 */
public final class LibvirtHost implements Host {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHost.class);
    /**
     * libvirt prints every error to stderr unless a handler is set; ESM reports errors as exceptions, so its
     * handler only logs them at debug level. Kept in a field so that JNA's callback is never collected.
     */
    private static final org.libvirt.ErrorCallback QUIET_ERRORS = new org.libvirt.ErrorCallback() {
        @Override
        public void errorCallback(com.sun.jna.Pointer userData, org.libvirt.jna.virError error) {
            LOG.debug("libvirt reported: {}", error == null ? "?" : error.message);
        }
    };

    static {
        try {
            Connect.setErrorCallback(QUIET_ERRORS);
        } catch (LibvirtException e) {
            LOG.debug("cannot set libvirt's error handler: {}", e.toString());
        }
    }

    private final String uri;
    /** The first connection: storage, events, and the domains assigned to it. */
    private final Connect conn;
    /**
     * Connections for domain calls, opened when first needed ({@code [0]} is {@link #conn}). libvirtd serves at most
     * {@code max_client_requests} (5 by default) calls of one connection at a time and queues the rest, so many
     * domains driven at once through one connection wait for one another's slow calls (starts, pivots, snapshots);
     * each domain is assigned one of these in turn and keeps it.
     */
    private final Connect[] connections;
    /** One monitor per slot of {@link #connections}, held while that slot's connection is opened. */
    private final Object[] opening;
    private final java.util.concurrent.ConcurrentMap<String, Integer> connectionOf =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger assigned = new java.util.concurrent.atomic.AtomicInteger();
    /** How many domains' assignments are kept before they are forgotten (and made again as needed). */
    private static final int MAX_ASSIGNED = 10_000;
    private final Storage storage;
    private final dev.esm.core.port.StateStore state;
    /** Over the storage API a domain's journal lives in its definition: what a define must carry (else nothing). */
    private final java.util.function.UnaryOperator<String> withJournal;
    /** Domain handles kept between calls. */
    private final DomainHandles handles = new DomainHandles();
    /** The snapshots' XMLs read before, revalidated at each read. */
    private final SnapshotCache snapshots;
    private volatile boolean closed;
    /** Whether libvirt's event loop runs (else block jobs are polled). */
    private volatile boolean events;
    /** This connection's block-job events, registered at the first merge. */
    private volatile BlockJobEvents blockJobEvents;
    /** How often a block job is looked at when no event arrives; events usually come first. */
    private static final long POLL_MILLIS = 100;
    /** The longest a merge may make no progress at all before it is aborted and reported as failed. */
    private final long stallMillis;

    /**
     * Opens a read-write connection, with the number of connections and the snapshot markers at their defaults or as
     * the {@code esm.connections} and {@code esm.snapshotMarkers} system properties say (read by
     * {@link dev.esm.api.SnapshotManager.Builder#systemProperties()}, which refuses a value that does not parse).
     *
     * @param uri a libvirt URI
     * @param storage the file operations on the connection's host
     */
    public LibvirtHost(String uri, Storage storage) {
        dev.esm.api.Settings settings = dev.esm.api.SnapshotManager.builder(uri).systemProperties().settings();
        this.uri = uri;
        this.storage = storage;
        this.state = new LocalState(java.util.Optional.empty());
        this.withJournal = xml -> xml;
        this.stallMillis = dev.esm.api.Settings.DEFAULT_BLOCK_JOB_STALL.toMillis();
        this.events = EventLoop.ensureStarted();
        this.conn = open(uri);
        this.connections = connections(conn, settings.connections());
        this.opening = monitors(connections.length);
        this.snapshots = snapshotCache(uri, settings.snapshotMarkers());
        LOG.debug("connected to {}", uri);
    }

    /**
     * Opens a read-write connection whose image files are reached as {@code access} says ({@link LocalStorage}
     * or {@link PoolStorage}), the other settings at their defaults or as the {@code esm.*} system properties say
     * (see {@link dev.esm.api.SnapshotManager.Builder#systemProperties()}).
     *
     * @param uri a libvirt URI
     * @param access how images are reached; {@code AUTO} decides by the URI
     */
    public LibvirtHost(String uri, dev.esm.api.ImageAccess access) {
        this(uri, dev.esm.api.SnapshotManager.builder(uri).systemProperties().imageAccess(access).settings());
    }

    /**
     * Opens a read-write connection configured by {@code settings}: image access, state folders, lease time,
     * block-job stall time, process timeout, the number of connections and the snapshot markers.
     *
     * @param uri a libvirt URI
     * @param settings the manager's settings
     */
    public LibvirtHost(String uri, dev.esm.api.Settings settings) {
        this.uri = uri;
        this.stallMillis = settings.blockJobStall().toMillis();
        this.events = EventLoop.ensureStarted();
        this.conn = open(uri);
        this.connections = connections(conn, settings.connections());
        this.opening = monitors(connections.length);
        this.snapshots = snapshotCache(uri, settings.snapshotMarkers());
        if (settings.imageAccess().resolve(uri) == dev.esm.api.ImageAccess.LIBVIRT_STORAGE) {
            PoolStorage pools = new PoolStorage(conn, this, settings.hostStateDirectory());
            PoolState poolState = new PoolState(conn, pools.statePool(), uri, settings.leaseTime());
            this.storage = pools;
            this.state = poolState;
            this.withJournal = poolState::withCurrentJournal;
        } else {
            this.storage = new LocalStorage("qemu-img", settings.processTimeout());
            this.state = new LocalState(settings.stateDirectory());
            this.withJournal = xml -> xml;
        }
        LOG.debug("connected to {} ({})", uri, storage.getClass().getSimpleName());
    }

    /** @param markers {@link dev.esm.api.Settings#snapshotMarkers()}: false, every tree read is a full read */
    private static SnapshotCache snapshotCache(String uri, boolean markers) {
        SnapshotCache cache = new SnapshotCache(markers ? MetadataFiles.forUri(uri).orElse(null) : null,
                System::currentTimeMillis);
        LOG.debug("snapshot trees of {} are {}", uri, cache.active() ? "cached, checked against libvirt's metadata files"
                : "read in full (no local metadata files to check a cache against)");
        return cache;
    }

    /** @return whether tree reads are served from the cache (false: every read is full), for tests */
    boolean cachesSnapshots() {
        return snapshots.active();
    }

    /** @return room for {@code n} connections, the first one given */
    private static Connect[] connections(Connect first, int n) {
        Connect[] all = new Connect[Math.max(1, n)];
        all[0] = first;
        return all;
    }

    private static Object[] monitors(int n) {
        Object[] out = new Object[n];
        for (int i = 0; i < n; i++) {
            out[i] = new Object();
        }
        return out;
    }

    /**
     * @return the connection {@code domain}'s calls go through: the same one for every call on the domain, the
     *         domains spread over the connections in turn (opened at the first domain that
     *         needs one)
     */
    private Connect connectionFor(String domain) {
        if (connections.length == 1) {
            return conn;
        }
        if (connectionOf.size() > MAX_ASSIGNED) {
            connectionOf.clear(); // merge helpers and removed domains: a new assignment is as good as the old one
        }
        int i = connectionOf.computeIfAbsent(domain, n -> Math.floorMod(assigned.getAndIncrement(), connections.length));
        Connect c = connections[i];
        if (c != null) {
            return c;
        }
        synchronized (opening[i]) { // one connection opened at a time per slot; the others stay usable
            checkOpen();
            if (connections[i] == null) {
                Connect opened = open(uri);
                synchronized (connections) {
                    if (closed) {
                        closeQuietly(opened);
                        checkOpen();
                    }
                    connections[i] = opened;
                }
                LOG.debug("opened connection {} to {}", i + 1, uri);
            }
            return connections[i];
        }
    }

    private void closeQuietly(Connect c) {
        try {
            c.close();
        } catch (LibvirtException e) {
            LOG.debug("closing {} failed: {}", uri, e.toString());
        }
    }

    static Connect open(String uri) {
        try {
            return new NativeLibvirt.EsmConnect(uri);
        } catch (LibvirtException e) {
            throw LibvirtErrors.connecting(uri, e);
        }
    }

    @FunctionalInterface
    private interface DomainCall<T> {
        T apply(Domain d) throws LibvirtException;
    }

    @FunctionalInterface
    private interface VoidDomainCall {
        void apply(Domain d) throws LibvirtException;
    }

    /**
     * Runs {@code call} on the domain's handle: kept from an earlier call ({@link DomainHandles}), or looked up by
     * name. A kept handle whose domain is gone (removed, or defined again with another UUID) is dropped and the
     * call made once more on a fresh lookup: libvirt refused it before it did anything.
     */
    private <T> T withDomain(String domain, String doing, DomainCall<T> call) {
        checkOpen();
        DomainHandles.Lookup lookup = () -> connectionFor(domain).domainLookupByName(domain);
        DomainHandles.Use use = null;
        try {
            use = handles.acquire(domain, lookup);
            try {
                return call.apply(use.domain());
            } catch (LibvirtException e) {
                if (use.fresh() || !Volumes.isCode(e, "VIR_ERR_NO_DOMAIN")) {
                    throw e;
                }
                handles.discard(use);
                handles.release(use);
                use = null;
                use = handles.acquire(domain, lookup);
                return call.apply(use.domain());
            }
        } catch (LibvirtException e) {
            throw LibvirtErrors.wrap(doing + " of domain '" + domain + "'", e);
        } finally {
            handles.release(use);
        }
    }

    private void withDomainDo(String domain, String doing, VoidDomainCall call) {
        withDomain(domain, doing, d -> {
            call.apply(d);
            return null;
        });
    }

    /** Frees a domain object, if any; a failure is only logged (the object is useless either way). */
    static void free(Domain d) {
        if (d != null) {
            try {
                d.free();
            } catch (LibvirtException e) {
                LOG.debug("freeing a domain object failed: {}", e.toString());
            }
        }
    }

    private static void free(DomainSnapshot s) {
        if (s != null) {
            try {
                s.free();
            } catch (LibvirtException e) {
                LOG.debug("freeing a snapshot object failed: {}", e.toString());
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this SnapshotManager is closed");
        }
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public DomainState state(String domain) {
        return withDomain(domain, "reading the state", d -> switch (d.getInfo().state) {
            case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED -> DomainState.RUNNING;
            case VIR_DOMAIN_PAUSED, VIR_DOMAIN_PMSUSPENDED -> DomainState.PAUSED;
            case VIR_DOMAIN_SHUTOFF -> DomainState.SHUTOFF;
            default -> DomainState.OTHER;
        });
    }

    @Override
    public String domainXml(String domain, boolean live) {
        return withDomain(domain, "reading the definition", d -> d.getXMLDesc(LibvirtFlags.domainXml(live)));
    }

    @Override
    public void defineDomain(String xml) {
        checkOpen();
        Domain d = null;
        try {
            // Over the storage API the domain's journal lives in its definition: the XML to define (read before
            // the journal's last write, or a snapshot's copy) must carry the newest one, not the one it was read with.
            d = conn.domainDefineXML(withJournal.apply(xml));
        } catch (LibvirtException e) {
            throw LibvirtErrors.wrap("defining a domain", e);
        } finally {
            free(d);
        }
    }

    @Override
    public void startDomain(String domain) {
        withDomainDo(domain, "starting", Domain::create);
    }

    @Override
    public void stopDomain(String domain) {
        withDomainDo(domain, "powering off", Domain::destroy);
    }

    @Override
    public void suspendDomain(String domain) {
        withDomainDo(domain, "pausing", Domain::suspend);
    }

    @Override
    public void resumeDomain(String domain) {
        withDomainDo(domain, "resuming", Domain::resume);
    }

    @Override
    public String savedDomainXml(String file) {
        checkOpen();
        return NativeLibvirt.savedDomainXml(conn, file, LibvirtFlags.SAVE_IMAGE_XML_SECURE);
    }

    @Override
    public void restore(String domain, String file, String domainXml, boolean paused) {
        checkOpen();
        LOG.debug("restoring domain '{}' from {} ({})", domain, file, paused ? "paused" : "running");
        NativeLibvirt.restore(connectionFor(domain), file, domainXml, LibvirtFlags.restore(paused));
    }

    @Override
    public List<String> snapshotXmls(String domain) {
        return withDomain(domain, "listing the snapshots", d -> snapshots.all(domain, new SnapshotCache.Source() {
            @Override
            public List<String> names() throws LibvirtException {
                return List.of(d.snapshotListNames());
            }

            @Override
            public int count() throws LibvirtException {
                return d.snapshotNum();
            }

            @Override
            public String xml(String name) throws LibvirtException {
                return snapshotXml(d, name);
            }
        }));
    }

    private static String snapshotXml(Domain d, String name) throws LibvirtException {
        DomainSnapshot s = null;
        try {
            s = d.snapshotLookupByName(name);
            return s.getXMLDesc(LibvirtFlags.SNAPSHOT_XML_SECURE);
        } finally {
            free(s);
        }
    }

    @Override
    public int snapshotCount(String domain) {
        return withDomain(domain, "counting the snapshots", Domain::snapshotNum);
    }

    @Override
    public String snapshotXml(String domain, String name) {
        checkOpen();
        return snapshots.one(domain, name,
                () -> withDomain(domain, "reading snapshot '" + name + "'", d -> snapshotXml(d, name)));
    }

    /** Runs a change of the domain's snapshots and tells the cache (whether it succeeded or not). */
    private void changingSnapshots(String domain, String doing, VoidDomainCall call) {
        Optional<SnapshotCache.Stamp> before = snapshots.before(domain);
        boolean done = false;
        try {
            withDomainDo(domain, doing, call);
            done = true;
        } finally {
            snapshots.changed(domain, before, done);
        }
    }

    @Override
    public Optional<String> currentSnapshot(String domain) {
        return currentSnapshotXml(domain).flatMap(xml -> Xml.childText(Xml.parse(xml).getDocumentElement(), "name"));
    }

    /** Two calls: the current snapshot (libvirt's error when there is none) and its XML. */
    @Override
    public Optional<String> currentSnapshotXml(String domain) {
        return withDomain(domain, "reading the current snapshot", d -> {
            DomainSnapshot s = null;
            try {
                s = d.snapshotCurrent();
                return Optional.of(s.getXMLDesc(LibvirtFlags.SNAPSHOT_XML_SECURE));
            } catch (LibvirtException e) {
                if (Volumes.isCode(e, "VIR_ERR_NO_DOMAIN_SNAPSHOT")) {
                    return Optional.<String>empty();
                }
                throw e;
            } finally {
                free(s);
            }
        });
    }

    @Override
    public void createSnapshot(String domain, String xml, Set<SnapshotFlag> flags) {
        changingSnapshots(domain, "taking a snapshot", d -> free(d.snapshotCreateXML(xml, LibvirtFlags.snapshotCreate(flags))));
    }

    @Override
    public void redefineSnapshot(String domain, String xml, boolean makeCurrent) {
        changingSnapshots(domain, "redefining a snapshot",
                d -> free(d.snapshotCreateXML(xml, LibvirtFlags.snapshotRedefine(makeCurrent))));
    }

    @Override
    public void deleteSnapshotMetadata(String domain, String name) {
        changingSnapshots(domain, "removing the metadata of snapshot '" + name + "'", d -> {
            DomainSnapshot s = null;
            try {
                s = d.snapshotLookupByName(name);
                s.delete(LibvirtFlags.SNAPSHOT_DELETE_METADATA_ONLY);
            } finally {
                free(s);
            }
        });
    }

    @Override
    public void blockCommit(String domain, String disk, String base, String top, boolean active,
                            ProgressListener listener, Cancellation cancel) {
        String doing = (active ? "active " : "") + "block commit of " + disk + " (" + top + " into " + base + ")";
        withDomainDo(domain, doing, d -> {
            BlockJobEvents events = blockJobEvents();
            if (events == null) {
                runCommit(d, disk, base, top, active, listener, cancel, new LinkedBlockingQueue<>(), doing);
                return;
            }
            try (BlockJobEvents.Subscription sub = events.subscribe(domain, disk)) {
                runCommit(d, disk, base, top, active, listener, cancel, sub.statuses(), doing);
            }
        });
    }

    /**
     * @return the connection's block-job events (registered at the first merge: commands that merge nothing do not
     *         pay for it), or null when no event loop runs (jobs are then polled)
     */
    private BlockJobEvents blockJobEvents() {
        BlockJobEvents e = blockJobEvents;
        if (e != null || !events) {
            return e;
        }
        synchronized (this) {
            checkOpen();
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

    private void runCommit(Domain d, String disk, String base, String top, boolean active, ProgressListener listener,
                           Cancellation cancel, BlockingQueue<BlockJobStatus> statuses, String doing)
            throws LibvirtException {
        LOG.debug("starting {}", doing);
        try {
            d.blockCommit(disk, base, top, 0, active ? LibvirtFlags.BLOCK_COMMIT_ACTIVE : 0);
        } catch (LibvirtException refused) {
            // Looked for only when refused: a look before every start waits, like the start, for the domain's job,
            // behind the other disks' starts.
            if (!clearLeftoverJob(d, disk)) {
                throw refused;
            }
            statuses.clear(); // the aborted job's events
            d.blockCommit(disk, base, top, 0, active ? LibvirtFlags.BLOCK_COMMIT_ACTIVE : 0);
        }
        LOG.debug("started {}", doing);
        long lastDone = -1;
        long lastEnd = 0;
        long lastChange = System.currentTimeMillis();
        while (true) {
            BlockJobStatus status = next(statuses);
            // After every wait, before anything that changes the job: a client that lost the domain's lease meanwhile
            // leaves the job to the lease's new owner (which recovers the merge from the journal).
            cancel.ensureOwner();
            if (cancel.isCancelled()) {
                abortJob(d, disk);
                if (!active && !DomainXml.chain(d.getXMLDesc(0), disk).contains(top)) {
                    // The job completed before the abort reached it: the merge is done, and its disk's steps must run.
                    LOG.debug("{} completed as it was cancelled", doing);
                    listener.onProgress(new Progress(disk, Math.max(lastEnd, 1), Math.max(lastEnd, 1)));
                    return;
                }
                throw new OperationCancelledException(doing + " was cancelled; " + top + " keeps all its data");
            }
            // The event that ends the wait (an intermediate job completed, an active one ready for its pivot) needs
            // no look at the job: with several disks' jobs on one domain, each look waits for the others' calls.
            boolean decisive = active ? status == BlockJobStatus.READY : status == BlockJobStatus.COMPLETED;
            DomainBlockJobInfo info = decisive ? null : d.getBlockJobInfo(disk, 0);
            boolean job = info != null && (info.type != 0 || info.end != 0);
            if ((status == BlockJobStatus.FAILED || status == BlockJobStatus.CANCELED) && job
                    && info.cur > 0 && status != null && lastDone >= 0) {
                LOG.debug("ignoring a late {} event on {}: the job is still running", status, disk);
                status = null;
            }
            if (status == BlockJobStatus.FAILED) {
                throw new HypervisorException(doing + " failed; " + top + " keeps all its data", -1,
                        "VIR_DOMAIN_BLOCK_JOB_FAILED", "the block job failed", null);
            }
            if (status == BlockJobStatus.CANCELED) {
                throw new OperationCancelledException(doing + " was aborted by someone else; " + top
                        + " keeps all its data");
            }
            if (job) {
                lastEnd = info.end;
                listener.onProgress(new Progress(disk, info.cur, info.end));
                if (info.cur != lastDone) {
                    lastDone = info.cur;
                    lastChange = System.currentTimeMillis();
                }
            }
            if (active && (status == BlockJobStatus.READY || (job && info.end > 0 && info.cur == info.end))) {
                if (!job) {
                    listener.onProgress(new Progress(disk, Math.max(lastEnd, 1), Math.max(lastEnd, 1)));
                }
                try {
                    // Asked for, not waited for in libvirt: a pivot waited for holds the domain's job until QEMU
                    // has switched the disk, so the other disks' pivots (and starts, and looks) queue behind it.
                    d.blockJobAbort(disk, LibvirtFlags.BLOCK_JOB_ABORT_PIVOT | LibvirtFlags.BLOCK_JOB_ABORT_ASYNC);
                } catch (LibvirtException notReadyYet) {
                    LOG.debug("pivot of {} not possible yet: {}", disk, notReadyYet.toString());
                    continue;
                }
                awaitPivot(d, disk, statuses, doing, top);
                LOG.debug("pivoted {} onto {}", disk, base);
                verifyGone(d, disk, top, doing);
                return;
            }
            if (!active && (status == BlockJobStatus.COMPLETED || !job)) {
                verifyGone(d, disk, top, doing);
                // A finished job is gone: its end is reported here.
                listener.onProgress(new Progress(disk, Math.max(lastEnd, 1), Math.max(lastEnd, 1)));
                return;
            }
            if (System.currentTimeMillis() - lastChange > stallMillis) {
                abortJob(d, disk);
                throw new HypervisorException(doing + " made no progress for " + stallMillis / 1000 + " s and was"
                        + " aborted; " + top + " keeps all its data", -1, "ESM_BLOCK_JOB_STALLED", "no progress", null);
            }
        }
    }

    /** @return the disk's next block-job status within a poll, or null (also when interrupted: the flag stays set) */
    private static BlockJobStatus next(BlockingQueue<BlockJobStatus> statuses) {
        try {
            return statuses.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Waits for a pivot asked for without waiting: its disk's completion event, or (no event within a poll) the job
     * gone from the disk. A job that stays (QEMU refused the switch) fails the merge after the stall time, the job
     * aborted; the top keeps all its data either way.
     */
    private void awaitPivot(Domain d, String disk, BlockingQueue<BlockJobStatus> statuses, String doing, String top)
            throws LibvirtException {
        long since = System.currentTimeMillis();
        while (true) {
            BlockJobStatus status = next(statuses);
            if (status == BlockJobStatus.COMPLETED) {
                return;
            }
            if (status == BlockJobStatus.FAILED || status == BlockJobStatus.CANCELED) {
                throw new HypervisorException("the pivot of " + doing + " failed; " + top + " keeps all its data", -1,
                        "VIR_DOMAIN_BLOCK_JOB_FAILED", "the pivot failed", null);
            }
            if (status == null) {
                DomainBlockJobInfo info = d.getBlockJobInfo(disk, 0);
                if (info == null || (info.type == 0 && info.end == 0)) {
                    return;
                }
                if (System.currentTimeMillis() - since > stallMillis) {
                    abortJob(d, disk);
                    throw new HypervisorException("the pivot of " + doing + " did not end in " + stallMillis / 1000
                            + " s; the job was aborted and " + top + " keeps all its data", -1,
                            "ESM_BLOCK_JOB_STALLED", "no pivot", null);
                }
            }
        }
    }

    /**
     * A job left on the disk by a process that stopped half-way (QEMU keeps running it; an active commit waits,
     * ready, for a pivot that never comes) is aborted first, so that a recovery can run the merge again. Aborting
     * leaves the top image's data in place. Called when libvirt refused to start the merge.
     *
     * @return whether a job was there (and is gone now)
     */
    private static boolean clearLeftoverJob(Domain d, String disk) throws LibvirtException {
        DomainBlockJobInfo info = d.getBlockJobInfo(disk, 0);
        if (info == null || (info.type == 0 && info.end == 0)) {
            return false;
        }
        LOG.warn("aborting a block job left on {} by an earlier process", disk);
        abortJob(d, disk);
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            info = d.getBlockJobInfo(disk, 0);
            if (info == null || (info.type == 0 && info.end == 0)) {
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

    /** Checks in the live definition that the merged image left the disk's chain: a job that vanished may have failed. */
    private static void verifyGone(Domain d, String disk, String top, String doing) throws LibvirtException {
        if (DomainXml.chain(d.getXMLDesc(0), disk).contains(top)) {
            throw new HypervisorException(doing + " ended, but " + top + " is still in the disk's chain; the merge"
                    + " failed and " + top + " keeps all its data", -1, "VIR_DOMAIN_BLOCK_JOB_FAILED",
                    "the merged image is still in use", null);
        }
    }

    private static void abortJob(Domain d, String disk) {
        try {
            d.blockJobAbort(disk, 0);
        } catch (LibvirtException e) {
            LOG.debug("aborting the block job on {} failed: {}", disk, e.toString());
        }
    }

    /**
     * Sends a human monitor command to a running domain's QEMU (for diagnostics and tests).
     *
     * @return QEMU's answer
     */
    public String humanMonitorCommand(String domain, String command) {
        return withDomain(domain, "sending a monitor command", d -> d.qemuMonitorCommand(command,
                LibvirtFlags.QEMU_MONITOR_COMMAND_HMP));
    }

    /** @return the names of the running domains (merge helpers left by stopped clients are found among them) */
    List<String> runningDomainNames() {
        checkOpen();
        List<String> out = new ArrayList<>();
        try {
            for (int id : conn.listDomains()) {
                Domain d = null;
                try {
                    d = conn.domainLookupByID(id);
                    out.add(d.getName());
                } catch (LibvirtException gone) {
                    LOG.debug("domain {} ended while listing: {}", id, gone.getMessage());
                } finally {
                    free(d);
                }
            }
        } catch (LibvirtException e) {
            throw LibvirtErrors.wrap("listing running domains", e);
        }
        return out;
    }

    /** Stops the transient storage pools ESM made over {@code root} and folders below it (test beds remove theirs). */
    void dropTransientPoolsUnder(String root) {
        try {
            for (String name : conn.listStoragePools()) {
                if (!name.startsWith("esm-")) {
                    continue;
                }
                org.libvirt.StoragePool p = conn.storagePoolLookupByName(name);
                try {
                    String xml = p.getXMLDesc(0);
                    if (p.isPersistent() == 0
                            && (xml.contains("<path>" + root + "/") || xml.contains("<path>" + root + "</path>"))) {
                        p.destroy();
                    }
                } finally {
                    p.free();
                }
            }
        } catch (LibvirtException e) {
            LOG.debug("dropping pools under {} failed: {}", root, e.getMessage());
        }
    }

    /** @return the connection, for tests and tools in this package */
    Connect connectionForTests() {
        return conn;
    }

    @Override
    public Storage storage() {
        return storage;
    }

    @Override
    public dev.esm.core.port.StateStore stateStore() {
        return state;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (blockJobEvents != null) {
            blockJobEvents.close();
        }
        handles.close(); // before the connections: a handle is freed while its connection is open
        for (Object part : new Object[] {state, storage}) {
            if (part instanceof AutoCloseable c) { // what this host made is its to close
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("closing {} failed: {}", part.getClass().getSimpleName(), e.toString());
                }
            }
        }
        synchronized (connections) {
            for (Connect c : connections) {
                if (c != null) {
                    closeQuietly(c);
                }
            }
        }
    }
}
