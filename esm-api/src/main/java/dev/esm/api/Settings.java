package dev.esm.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * Everything a {@link SnapshotManager} can be configured with; made by {@link SnapshotManager#builder(String)},
 * read by implementations. Immutable and validated: a setting out of range is refused when the record is made, so a
 * manager never starts with one.
 *
 * @param imageAccess how the domains' image files are reached
 * @param stateDirectory the folder of this machine where journals and lock files are kept when images are local
 *                       files; empty for the default ({@code /var/lib/esm} for root, {@code $XDG_STATE_HOME/esm} or
 *                       {@code ~/.local/state/esm} otherwise)
 * @param hostStateDirectory the folder on the libvirt host where journals and leases are kept when images are reached
 *                           through libvirt's storage API (a storage pool is made over it)
 * @param lockWait how long an operation waits for another operation on the same domain before it fails with
 *                 {@link dev.esm.api.errors.DomainBusyException}
 * @param leaseTime how long a remote client's lease on a domain lasts without a heartbeat: a client that died is
 *                  taken over after this long (its holder renews it every third of it)
 * @param blockJobStall how long a merge may make no progress at all before it is aborted and reported as failed
 * @param processTimeout the longest a helper process ({@code qemu-img}) may run before it is killed
 * @param connections how many libvirt connections one manager spreads its domains over (opened as domains need
 *                    them), at least 1
 * @param listener told of every operation and step, see {@link OperationListener}
 * @param snapshotMarkers whether snapshot trees are cached and checked against libvirt's own snapshot metadata files
 *                        where the daemon is on this machine (default true; false: every tree read fetches every
 *                        snapshot's XML)
 * @param executor the threads every operation's concurrent work runs on (see {@link #executor()})
 * @param overlayLayout how the overlays ESM makes are laid out (default {@link OverlayLayout#SUBCLUSTERS})
 * @param maxChainDepth the most images a disk's chain may hold, its active layer and the base included (default
 *                      {@value #DEFAULT_MAX_CHAIN_DEPTH}; see {@link #maxChainDepth()})
 */
public record Settings(ImageAccess imageAccess, Optional<Path> stateDirectory, String hostStateDirectory,
                       Duration lockWait, Duration leaseTime, Duration blockJobStall, Duration processTimeout,
                       int connections, OperationListener listener, boolean snapshotMarkers,
                       ExecutorService executor, OverlayLayout overlayLayout, int maxChainDepth) {

    /** The default {@link #hostStateDirectory()}. */
    public static final String DEFAULT_HOST_STATE_DIRECTORY = "/var/lib/libvirt/esm";
    /** The default {@link #lockWait()}: 60 s. */
    public static final Duration DEFAULT_LOCK_WAIT = Duration.ofSeconds(60);
    /** The default {@link #leaseTime()}: 30 s. */
    public static final Duration DEFAULT_LEASE_TIME = Duration.ofSeconds(30);
    /** The default {@link #blockJobStall()}: 10 min. */
    public static final Duration DEFAULT_BLOCK_JOB_STALL = Duration.ofMinutes(10);
    /** The default {@link #processTimeout()}: 120 s. */
    public static final Duration DEFAULT_PROCESS_TIMEOUT = Duration.ofSeconds(120);
    /** The default {@link #connections()}: 4. */
    public static final int DEFAULT_CONNECTIONS = 4;
    /**
     * The default {@link #maxChainDepth()}: 16 images, below every limit users meet (libvirt 11.3 with QEMU 10 fails
     * to start a domain whose chain holds 26; every libvirt refuses more than 200).
     */
    public static final int DEFAULT_MAX_CHAIN_DEPTH = 16;
    /** The smallest {@link #maxChainDepth()}: 4. */
    public static final int MIN_CHAIN_DEPTH = 4;
    /** The largest {@link #maxChainDepth()}: 200, libvirt's own limit. */
    public static final int MAX_CHAIN_DEPTH = 200;

    /**
     * Checks every setting.
     *
     * @param imageAccess how the domains' image files are reached
     * @param stateDirectory the folder of this machine where journals and lock files are kept when images are local
     *        files; empty for the default ({@code /var/lib/esm} for root, {@code $XDG_STATE_HOME/esm} or {@code
     *        ~/.local/state/esm} otherwise)
     * @param hostStateDirectory the folder on the libvirt host where journals and leases are kept when images are
     *        reached through libvirt's storage API (a storage pool is made over it)
     * @param lockWait how long an operation waits for another operation on the same domain before it fails with
     *        {@link dev.esm.api.errors.DomainBusyException}
     * @param leaseTime how long a remote client's lease on a domain lasts without a heartbeat: a client that died is
     *        taken over after this long (its holder renews it every third of it)
     * @param blockJobStall how long a merge may make no progress at all before it is aborted and reported as failed
     * @param processTimeout the longest a helper process ({@code qemu-img}) may run before it is killed
     * @param connections how many libvirt connections one manager spreads its domains over (opened as domains need
     *        them), at least 1
     * @param listener told of every operation and step, see {@link OperationListener}
     * @param snapshotMarkers whether snapshot trees are cached and checked against libvirt's own snapshot metadata
     *        files where the daemon is on this machine
     * @param executor the threads every operation's concurrent work runs on (see {@link #executor()}); not shut down
     * @param overlayLayout how the overlays ESM makes are laid out
     * @param maxChainDepth the most images a disk's chain may hold, from {@value #MIN_CHAIN_DEPTH} to {@value
     *        #MAX_CHAIN_DEPTH}
     * @throws IllegalArgumentException naming the setting that is out of range
     * @throws NullPointerException if a component is null
     */
    public Settings {
        Objects.requireNonNull(imageAccess, "imageAccess");
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        stateDirectory.ifPresent(Settings::checkStateDirectory);
        checkHostStateDirectory(hostStateDirectory);
        checkLockWait(lockWait);
        checkLeaseTime(leaseTime);
        checkBlockJobStall(blockJobStall);
        checkProcessTimeout(processTimeout);
        checkConnections(connections);
        Objects.requireNonNull(listener, "listener");
        checkExecutor(executor);
        Objects.requireNonNull(overlayLayout, "overlayLayout");
        checkMaxChainDepth(maxChainDepth);
    }

    /**
     * The settings of ESM versions before {@link #maxChainDepth()}: chains of at most {@value
     * #DEFAULT_MAX_CHAIN_DEPTH} images.
     *
     * @param imageAccess how the domains' image files are reached
     * @param stateDirectory the folder of this machine where journals and lock files are kept when images are local
     *        files; empty for the default
     * @param hostStateDirectory the folder on the libvirt host where journals and leases are kept when images are
     *        reached through libvirt's storage API
     * @param lockWait how long an operation waits for another operation on the same domain
     * @param leaseTime how long a remote client's lease on a domain lasts without a heartbeat
     * @param blockJobStall how long a merge may make no progress at all before it is aborted
     * @param processTimeout the longest a helper process ({@code qemu-img}) may run before it is killed
     * @param connections how many libvirt connections one manager spreads its domains over, at least 1
     * @param listener told of every operation and step
     * @param snapshotMarkers whether snapshot trees are cached and checked against libvirt's own snapshot metadata
     *        files where the daemon is on this machine
     * @param executor the threads every operation's concurrent work runs on; not shut down
     * @param overlayLayout how the overlays ESM makes are laid out
     * @throws IllegalArgumentException naming the setting that is out of range
     * @throws NullPointerException if a component is null
     */
    public Settings(ImageAccess imageAccess, Optional<Path> stateDirectory, String hostStateDirectory,
                    Duration lockWait, Duration leaseTime, Duration blockJobStall, Duration processTimeout,
                    int connections, OperationListener listener, boolean snapshotMarkers, ExecutorService executor,
                    OverlayLayout overlayLayout) {
        this(imageAccess, stateDirectory, hostStateDirectory, lockWait, leaseTime, blockJobStall, processTimeout,
                connections, listener, snapshotMarkers, executor, overlayLayout, DEFAULT_MAX_CHAIN_DEPTH);
    }

    /**
     * The most images one disk's chain may hold: its active layer, the frozen images below it and the base. When a
     * snapshot would make a chain longer, ESM first pulls the data of the images nearest the active layer into it (a
     * block pull while the domain runs; its content stays as it was), so the chain is short again, and every
     * snapshot's frozen image stays within the limit: a revert to any snapshot, at any depth of its line, runs on a
     * chain of at most this many images. Every snapshot keeps its content and its files; what a pull costs is the
     * space and time of copying the data it pulls (see the guide's chapter on depth).
     *
     * @return the most images a disk's chain may hold
     */
    @Override
    public int maxChainDepth() {
        return maxChainDepth;
    }

    /**
     * The settings of ESM versions before {@link #overlayLayout()}: overlays with {@linkplain
     * OverlayLayout#SUBCLUSTERS subclusters}, the default.
     *
     * @param imageAccess how the domains' image files are reached
     * @param stateDirectory the folder of this machine where journals and lock files are kept when images are local
     *        files; empty for the default
     * @param hostStateDirectory the folder on the libvirt host where journals and leases are kept when images are
     *        reached through libvirt's storage API
     * @param lockWait how long an operation waits for another operation on the same domain
     * @param leaseTime how long a remote client's lease on a domain lasts without a heartbeat
     * @param blockJobStall how long a merge may make no progress at all before it is aborted
     * @param processTimeout the longest a helper process ({@code qemu-img}) may run before it is killed
     * @param connections how many libvirt connections one manager spreads its domains over, at least 1
     * @param listener told of every operation and step
     * @param snapshotMarkers whether snapshot trees are cached and checked against libvirt's own snapshot metadata
     *        files where the daemon is on this machine
     * @param executor the threads every operation's concurrent work runs on; not shut down
     * @throws IllegalArgumentException naming the setting that is out of range
     * @throws NullPointerException if a component is null
     */
    public Settings(ImageAccess imageAccess, Optional<Path> stateDirectory, String hostStateDirectory,
                    Duration lockWait, Duration leaseTime, Duration blockJobStall, Duration processTimeout,
                    int connections, OperationListener listener, boolean snapshotMarkers, ExecutorService executor) {
        this(imageAccess, stateDirectory, hostStateDirectory, lockWait, leaseTime, blockJobStall, processTimeout,
                connections, listener, snapshotMarkers, executor, OverlayLayout.SUBCLUSTERS, DEFAULT_MAX_CHAIN_DEPTH);
    }

    /**
     * The settings of ESM versions before {@link #snapshotMarkers()} and {@link #executor()}: those two at their
     * defaults (markers on, the {@linkplain #executor() shared default executor}).
     *
     * @param imageAccess how the domains' image files are reached
     * @param stateDirectory the folder of this machine where journals and lock files are kept when images are local
     *        files; empty for the default
     * @param hostStateDirectory the folder on the libvirt host where journals and leases are kept when images are
     *        reached through libvirt's storage API
     * @param lockWait how long an operation waits for another operation on the same domain
     * @param leaseTime how long a remote client's lease on a domain lasts without a heartbeat
     * @param blockJobStall how long a merge may make no progress at all before it is aborted
     * @param processTimeout the longest a helper process ({@code qemu-img}) may run before it is killed
     * @param connections how many libvirt connections one manager spreads its domains over, at least 1
     * @param listener told of every operation and step
     * @throws IllegalArgumentException naming the setting that is out of range
     * @throws NullPointerException if a component is null
     */
    public Settings(ImageAccess imageAccess, Optional<Path> stateDirectory, String hostStateDirectory,
                    Duration lockWait, Duration leaseTime, Duration blockJobStall, Duration processTimeout,
                    int connections, OperationListener listener) {
        this(imageAccess, stateDirectory, hostStateDirectory, lockWait, leaseTime, blockJobStall, processTimeout,
                connections, listener, true, SharedWorkers.INSTANCE, OverlayLayout.SUBCLUSTERS,
                DEFAULT_MAX_CHAIN_DEPTH);
    }

    /**
     * The threads on which an operation runs what it does at once: the merges of several disks, the file steps of
     * a run (one overlay or one removal per disk), a restore's definition prepared ahead. The thread that calls
     * {@code execute()} runs everything else and waits for these; a task on this executor never waits for another
     * one, so an executor with fewer threads (even one) only makes them take turns.
     *
     * <p>The default is one executor shared by every manager of the process: daemon threads named
     * {@code esm-worker-N}, made as needed and ended after a minute unused. It is ESM's: nothing is to shut it down
     * (its {@code shutdown} methods throw {@link UnsupportedOperationException}), and it holds no thread while
     * idle. An executor given to {@link SnapshotManager.Builder#executor} stays its caller's: ESM never shuts it
     * down, closing a manager does not either, and the caller shuts it down after the last manager using it is
     * closed (a step it refuses fails, as any failed step, with an {@link IllegalStateException}).
     *
     * @return the executor of every operation's concurrent work
     */
    @Override
    public ExecutorService executor() {
        return executor;
    }

    static void checkStateDirectory(Path d) {
        Objects.requireNonNull(d, "stateDirectory");
        if (!d.isAbsolute()) {
            throw new IllegalArgumentException("stateDirectory must be an absolute path, not '" + d + "'");
        }
    }

    static void checkHostStateDirectory(String hostStateDirectory) {
        Objects.requireNonNull(hostStateDirectory, "hostStateDirectory");
        if (!hostStateDirectory.startsWith("/") || hostStateDirectory.length() < 2) {
            throw new IllegalArgumentException("hostStateDirectory must be an absolute path on the libvirt host, not '"
                    + hostStateDirectory + "'");
        }
    }

    static void checkLockWait(Duration lockWait) {
        positive("lockWait", lockWait, true);
    }

    static void checkLeaseTime(Duration leaseTime) {
        positive("leaseTime", leaseTime, false);
        if (leaseTime.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("leaseTime must be at least 1 s (its holder renews it every third), not "
                    + leaseTime);
        }
    }

    static void checkBlockJobStall(Duration blockJobStall) {
        positive("blockJobStall", blockJobStall, false);
    }

    static void checkProcessTimeout(Duration processTimeout) {
        positive("processTimeout", processTimeout, false);
    }

    static void checkMaxChainDepth(int maxChainDepth) {
        if (maxChainDepth < MIN_CHAIN_DEPTH || maxChainDepth > MAX_CHAIN_DEPTH) {
            throw new IllegalArgumentException("maxChainDepth must be from " + MIN_CHAIN_DEPTH + " to "
                    + MAX_CHAIN_DEPTH + " images, not " + maxChainDepth);
        }
    }

    static void checkConnections(int connections) {
        if (connections < 1 || connections > 64) {
            throw new IllegalArgumentException("connections must be between 1 and 64, not " + connections);
        }
    }

    static void checkExecutor(ExecutorService executor) {
        Objects.requireNonNull(executor, "executor");
        if (executor.isShutdown()) {
            throw new IllegalArgumentException("executor must not be shut down");
        }
    }

    private static void positive(String name, Duration d, boolean zeroAllowed) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || (!zeroAllowed && d.isZero())) {
            throw new IllegalArgumentException(name + " must be " + (zeroAllowed ? "zero or more" : "more than zero")
                    + ", not " + d);
        }
    }

    /**
     * @return every setting at its default, with {@link ImageAccess#AUTO}, no listener, snapshot markers on, the
     *         shared default {@linkplain #executor() executor} and overlays with subclusters
     */
    public static Settings defaults() {
        return new Settings(ImageAccess.AUTO, Optional.empty(), DEFAULT_HOST_STATE_DIRECTORY, DEFAULT_LOCK_WAIT,
                DEFAULT_LEASE_TIME, DEFAULT_BLOCK_JOB_STALL, DEFAULT_PROCESS_TIMEOUT, DEFAULT_CONNECTIONS,
                OperationListener.NONE);
    }
}
