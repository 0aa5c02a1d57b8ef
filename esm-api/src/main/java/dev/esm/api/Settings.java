package dev.esm.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

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
 */
public record Settings(ImageAccess imageAccess, Optional<Path> stateDirectory, String hostStateDirectory,
                       Duration lockWait, Duration leaseTime, Duration blockJobStall, Duration processTimeout,
                       int connections, OperationListener listener) {

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
     * @throws IllegalArgumentException naming the setting that is out of range
     * @throws NullPointerException if a component is null
     */
    public Settings {
        Objects.requireNonNull(imageAccess, "imageAccess");
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(hostStateDirectory, "hostStateDirectory");
        Objects.requireNonNull(listener, "listener");
        stateDirectory.ifPresent(d -> {
            if (!d.isAbsolute()) {
                throw new IllegalArgumentException("stateDirectory must be an absolute path, not '" + d + "'");
            }
        });
        if (!hostStateDirectory.startsWith("/") || hostStateDirectory.length() < 2) {
            throw new IllegalArgumentException("hostStateDirectory must be an absolute path on the libvirt host, not '"
                    + hostStateDirectory + "'");
        }
        positive("lockWait", lockWait, true);
        positive("leaseTime", leaseTime, false);
        if (leaseTime.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("leaseTime must be at least 1 s (its holder renews it every third), not "
                    + leaseTime);
        }
        positive("blockJobStall", blockJobStall, false);
        positive("processTimeout", processTimeout, false);
        if (connections < 1 || connections > 64) {
            throw new IllegalArgumentException("connections must be between 1 and 64, not " + connections);
        }
    }

    private static void positive(String name, Duration d, boolean zeroAllowed) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || (!zeroAllowed && d.isZero())) {
            throw new IllegalArgumentException(name + " must be " + (zeroAllowed ? "zero or more" : "more than zero")
                    + ", not " + d);
        }
    }

    /** @return every setting at its default, with {@link ImageAccess#AUTO} and no listener */
    public static Settings defaults() {
        return new Settings(ImageAccess.AUTO, Optional.empty(), DEFAULT_HOST_STATE_DIRECTORY, DEFAULT_LOCK_WAIT,
                DEFAULT_LEASE_TIME, DEFAULT_BLOCK_JOB_STALL, DEFAULT_PROCESS_TIMEOUT, DEFAULT_CONNECTIONS,
                OperationListener.NONE);
    }
}
