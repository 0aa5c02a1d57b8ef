package dev.esm.libvirt;

import dev.esm.api.DomainState;
import dev.esm.core.port.Host;
import dev.esm.core.port.SnapshotFlag;
import dev.esm.core.port.Storage;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import dev.esm.api.ProgressListener;
import dev.esm.core.port.Cancellation;
import org.libvirt.Connect;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.esm.libvirt.internal.connect.ConnectionPool;
import dev.esm.libvirt.internal.connect.DomainCalls;
import dev.esm.libvirt.internal.connect.EventLoop;
import dev.esm.libvirt.internal.connect.LibvirtFlags;
import dev.esm.libvirt.internal.jobs.BlockCommitDriver;
import dev.esm.libvirt.internal.jobs.BlockJobs;
import dev.esm.libvirt.internal.jobs.BlockPullDriver;
import dev.esm.libvirt.internal.local.LocalState;
import dev.esm.libvirt.internal.local.LocalStorage;
import dev.esm.libvirt.internal.pool.PoolStorage;

/**
 * ESM's port over one libvirt connection (libvirt-java). Every libvirt object it looks up is freed before the
 * call returns; nothing relies on finalizers. libvirt errors become {@link dev.esm.api.errors.EsmException}s
 * with libvirt's code and message.
 *
 * <p>Block jobs: several may run at once, on several disks of one domain and on many domains; each waits for its
 * own disk's events ({@link dev.esm.libvirt.internal.jobs.BlockJobEvents}, one registration per connection) and polls the job as a fallback.
 *
 * <p>Many domains at once: each domain's calls go through one of a few connections
 * ({@link dev.esm.api.Settings#connections()}; opened as domains need them), so that libvirtd's per-connection limit
 * on calls in progress does not make one domain's calls wait for another's. No lock is held across a call on a domain.
 *
 * <p>Domains: the calls on a domain itself (lookup, state, definitions, start, stop, pause, resume, restore) are
 * {@link DomainLifecycleCalls}'.
 *
 * <p>Snapshot metadata: its calls are {@link SnapshotMetadataCalls}'. The snapshots' XMLs are kept in a
 * {@link SnapshotCache}, revalidated on every read against
 * libvirt's own snapshot metadata files when the daemon is on this machine ({@link MetadataFiles}), so that reading a
 * tree costs a few calls whatever its size, and a change made behind ESM's back ({@code virsh}) is still seen at the
 * next read. Over a remote URI (or another root's daemon) there are no markers to read, and every tree read fetches
 * each snapshot's XML.
 *
 * <p>Block pulls: {@link BlockPullDriver} refuses a live pull into an image with subclusters when this host's QEMU
 * (before 10.0) cannot make it ({@link SupportedLayout}), on the live chain the pull reads anyway.
 *
 * <p>Thread-safety: thread-safe; libvirt connections may be used from several threads; the mutable state is the
 * closed flag, the lazily opened connections (each opened under its slot's monitor, stored and closed under the
 * array's), the domains' assignment to them (a concurrent map), the snapshot cache (thread-safe, in
 * {@link SnapshotMetadataCalls}) and the lazily registered event callback (under this object's monitor).
 */
public final class LibvirtHost implements Host {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtHost.class);
    private final String uri;
    /** The connections, domains spread over them; its first connection serves storage and events. */
    private final ConnectionPool pool;
    /** The first connection: storage, events, and the domains assigned to it. */
    private final Connect conn;
    private final Storage storage;
    private final dev.esm.core.port.StateStore state;
    /** Calls on domains, through the pool's connections on kept handles. */
    private final DomainCalls calls;
    /** The calls on a domain itself: lookup, state, definitions, lifecycle. */
    private final DomainLifecycleCalls domains;
    /** The snapshot-metadata calls, with the snapshot cache. */
    private final SnapshotMetadataCalls snapshotCalls;
    /** Live migrations to another libvirt host, and this host as their target. */
    private final LiveMigrations migrations;
    /** This connection's block-job events and the block-job stall time, shared by commits and pulls. */
    private final BlockJobs blockJobs;
    /** Block commits. */
    private final BlockCommitDriver commits;
    /** Block pulls (with the check that refuses a live pull this host's QEMU cannot make). */
    private final BlockPullDriver pulls;

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
        boolean events = EventLoop.ensureStarted();
        this.pool = new ConnectionPool(uri, settings.connections());
        this.conn = pool.first();
        this.calls = new DomainCalls(pool);
        this.domains = new DomainLifecycleCalls(pool, calls, xml -> xml);
        this.blockJobs = new BlockJobs(conn, events, dev.esm.api.Settings.DEFAULT_BLOCK_JOB_STALL.toMillis(),
                pool::checkOpen);
        this.commits = new BlockCommitDriver(blockJobs);
        // The storage given makes its own overlays: check every live pull's image.
        this.pulls = new BlockPullDriver(blockJobs, false, storage::subclusters);
        this.snapshotCalls = new SnapshotMetadataCalls(uri, settings.snapshotMarkers(), calls, pool::checkOpen);
        this.migrations = new LiveMigrations(uri, conn, calls);
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
     * block-job stall time, process timeout, the number of connections and the snapshot markers. Its image store and
     * state store are those {@link HostStores} makes for the settings.
     *
     * @param uri a libvirt URI
     * @param settings the manager's settings
     */
    public LibvirtHost(String uri, dev.esm.api.Settings settings) {
        this.uri = uri;
        boolean events = EventLoop.ensureStarted();
        this.pool = new ConnectionPool(uri, settings.connections());
        this.conn = pool.first();
        this.calls = new DomainCalls(pool);
        this.blockJobs = new BlockJobs(conn, events, settings.blockJobStall().toMillis(), pool::checkOpen);
        this.commits = new BlockCommitDriver(blockJobs);
        this.snapshotCalls = new SnapshotMetadataCalls(uri, settings.snapshotMarkers(), calls, pool::checkOpen);
        this.migrations = new LiveMigrations(uri, conn, calls);
        HostStores stores = HostStores.open(uri, conn, this, pool::runningDomainNames, settings);
        this.storage = stores.storage();
        this.state = stores.state();
        this.domains = new DomainLifecycleCalls(pool, calls, stores.withJournal());
        SupportedLayout.Layouts layout = stores.layout();
        this.pulls = new BlockPullDriver(blockJobs, layout.pullable() == layout.overlays(), storage::subclusters);
        LOG.debug("connected to {} ({})", uri, storage.getClass().getSimpleName());
    }

    /** @return whether tree reads are served from the cache (false: every read is full), for tests */
    boolean cachesSnapshots() {
        return snapshotCalls.caches();
    }

    private void checkOpen() {
        pool.checkOpen();
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public dev.esm.core.port.Migration.Target migrationTarget() {
        checkOpen();
        return migrations.target();
    }

    @Override
    public java.util.Optional<java.util.Set<String>> machineTypes(String arch) {
        checkOpen();
        java.util.Set<String> offered = migrations.machineTypes(arch);
        return offered.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(offered);
    }

    @Override
    public java.util.Optional<String> cpuRefusal(dev.esm.core.model.GuestCpu cpu) {
        checkOpen();
        return migrations.cpuRefusal(cpu);
    }

    @Override
    public void migrate(String domain, dev.esm.core.port.Migration m) {
        checkOpen();
        migrations.migrate(domain, m);
        forgetDomain(domain);
    }

    @Override
    public void undefineDomain(String domain) {
        domains.undefine(domain);
        forgetDomain(domain);
    }

    /** Forgets what is cached of a domain that is no longer here (its tree, its kept handle). */
    private void forgetDomain(String domain) {
        snapshotCalls.forget(domain);
    }

    @Override
    public Optional<String> domainByUuid(String uuid) {
        return domains.domainByUuid(uuid);
    }

    @Override
    public DomainState state(String domain) {
        return domains.state(domain);
    }

    @Override
    public String domainXml(String domain, boolean live) {
        return domains.domainXml(domain, live);
    }

    @Override
    public void defineDomain(String xml) {
        domains.define(xml);
    }

    @Override
    public void startDomain(String domain) {
        domains.start(domain);
    }

    @Override
    public void stopDomain(String domain) {
        domains.stop(domain);
    }

    @Override
    public void suspendDomain(String domain) {
        domains.suspend(domain);
    }

    @Override
    public void resumeDomain(String domain) {
        domains.resume(domain);
    }

    @Override
    public String savedDomainXml(String file) {
        return domains.savedDomainXml(file);
    }

    @Override
    public void restore(String domain, String file, String domainXml, boolean paused) {
        domains.restore(domain, file, domainXml, paused);
    }

    @Override
    public List<String> snapshotXmls(String domain) {
        return snapshotCalls.snapshotXmls(domain);
    }

    /** One call ({@code virDomainSnapshotListNames}), in the order {@link #snapshotXmls} gives. */
    @Override
    public Optional<List<String>> snapshotNames(String domain) {
        return snapshotCalls.snapshotNames(domain);
    }

    /** The stamp of libvirt's metadata directory of the domain when it is on this machine ({@link MetadataFiles}). */
    @Override
    public Optional<String> snapshotStamp(String domain) {
        return snapshotCalls.snapshotStamp(domain);
    }

    @Override
    public int snapshotCount(String domain) {
        return snapshotCalls.snapshotCount(domain);
    }

    @Override
    public String snapshotXml(String domain, String name) {
        return snapshotCalls.snapshotXml(domain, name);
    }

    @Override
    public Optional<String> currentSnapshot(String domain) {
        return snapshotCalls.currentSnapshot(domain);
    }

    /** Two calls: the current snapshot (libvirt's error when there is none) and its XML. */
    @Override
    public Optional<String> currentSnapshotXml(String domain) {
        return snapshotCalls.currentSnapshotXml(domain);
    }

    @Override
    public void createSnapshot(String domain, String xml, Set<SnapshotFlag> flags) {
        snapshotCalls.createSnapshot(domain, xml, flags);
    }

    @Override
    public void redefineSnapshot(String domain, String xml, boolean makeCurrent) {
        snapshotCalls.redefineSnapshot(domain, xml, makeCurrent);
    }

    @Override
    public void deleteSnapshotMetadata(String domain, String name) {
        snapshotCalls.deleteSnapshotMetadata(domain, name);
    }

    @Override
    public void blockCommit(String domain, String disk, String base, String top, boolean active,
                            ProgressListener listener, Cancellation cancel) {
        String doing = (active ? "active " : "") + "block commit of " + disk + " (" + top + " into " + base + ")";
        calls.withDomainDo(domain, doing, d -> commits.commit(d, domain, disk, base, top, active, listener, cancel, doing));
    }

    @Override
    public void blockPull(String domain, String disk, String anchor, ProgressListener listener, Cancellation cancel) {
        String doing = "block pull of " + disk + " (onto " + anchor + ")";
        calls.withDomainDo(domain, doing, d -> pulls.pull(d, domain, disk, anchor, listener, cancel, doing));
    }

    /**
     * Sends a human monitor command to a running domain's QEMU (for diagnostics and tests).
     *
     * @return QEMU's answer
     */
    public String humanMonitorCommand(String domain, String command) {
        return calls.withDomain(domain, "sending a monitor command", d -> d.qemuMonitorCommand(command,
                LibvirtFlags.QEMU_MONITOR_COMMAND_HMP));
    }

    /** @return the names of the running domains (merge helpers left by stopped clients are found among them) */
    List<String> runningDomainNames() {
        return pool.runningDomainNames();
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
        if (pool.isClosed()) {
            return;
        }
        pool.markClosed();
        blockJobs.close();
        calls.close(); // before the connections: a handle is freed while its connection is open
        for (Object part : new Object[] {state, storage}) {
            if (part instanceof AutoCloseable c) { // what this host made is its to close
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("closing {} failed: {}", part.getClass().getSimpleName(), e.toString());
                }
            }
        }
        pool.closeAll();
    }
}
