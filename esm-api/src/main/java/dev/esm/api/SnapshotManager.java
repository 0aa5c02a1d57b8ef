package dev.esm.api;

import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.spi.SnapshotManagerProvider;
import java.util.Comparator;
import java.util.ServiceLoader;

/**
 * The entry point: one open connection to a libvirt daemon, and the domains behind it.
 *
 * <pre>{@code
 * try (SnapshotManager esm = SnapshotManager.connect()) {        // LIBVIRT_DEFAULT_URI or qemu:///system
 *     esm.domain("web").snapshot("pre-upgrade").create();
 * }
 * }</pre>
 *
 * <p>Thread-safety: a manager is safe to share between threads. Changing operations on one domain are
 * serialised; reads run concurrently. Close it when done: it frees the libvirt connection
 * deterministically.
 */
public interface SnapshotManager extends AutoCloseable {

    /** The URI used when none is given and {@code LIBVIRT_DEFAULT_URI} is unset. */
    String DEFAULT_URI = "qemu:///system";

    /**
     * Connects to the URI in the {@code LIBVIRT_DEFAULT_URI} environment variable, else to
     * {@value #DEFAULT_URI}.
     *
     * @return an open manager
     * @throws HypervisorException if the daemon cannot be reached
     */
    static SnapshotManager connect() {
        return connect(defaultUri());
    }

    /**
     * Connects to a libvirt daemon with every setting at its default, except where one of the system properties
     * that {@link Builder#systemProperties()} reads is set (for tools and tests; programs use {@link #builder(String)}).
     *
     * @param uri a libvirt connection URI such as {@code qemu:///system}, or a remote one such as
     *            {@code qemu+ssh://root@host/system} (images then reached through libvirt's storage API, see
     *            {@link ImageAccess})
     * @return an open manager
     * @throws HypervisorException if the daemon cannot be reached
     * @throws dev.esm.api.errors.InvalidOperationException if the URI names a driver ESM cannot serve (only
     *         QEMU's is supported)
     * @throws IllegalArgumentException if an {@code esm.*} system property holds a value out of range
     * @throws IllegalStateException if no implementation (esm-libvirt) is on the class path
     */
    static SnapshotManager connect(String uri) {
        return builder(uri).systemProperties().connect();
    }

    /**
     * Connects to a libvirt daemon, choosing how the domains' image files are reached.
     *
     * <pre>{@code
     * try (SnapshotManager esm = SnapshotManager.connect("qemu+ssh://root@host7/system", ImageAccess.AUTO)) {
     *     esm.domain("web").revert("clean").execute();    // no file of host7 is touched from here
     * }
     * }</pre>
     *
     * @param uri a libvirt connection URI
     * @param access how images are reached
     * @return an open manager
     * @throws HypervisorException if the daemon cannot be reached
     * @throws dev.esm.api.errors.InvalidOperationException if the URI names a driver ESM cannot serve (only
     *         QEMU's is supported), or {@code LOCAL_FILES} for a remote URI
     */
    static SnapshotManager connect(String uri, ImageAccess access) {
        return builder(uri).systemProperties().imageAccess(access).connect();
    }

    /**
     * Starts configuring a manager; {@link Builder#connect()} opens it. Every setting has a default (see
     * {@link Settings}); no system property is read unless {@link Builder#systemProperties()} is called.
     *
     * <pre>{@code
     * try (SnapshotManager esm = SnapshotManager.builder("qemu+ssh://root@host7/system")
     *         .lockWait(Duration.ofMinutes(5))
     *         .hostStateDirectory("/srv/esm-state")
     *         .listener(auditLog)
     *         .connect()) {
     *     ...
     * }
     * }</pre>
     *
     * @param uri a libvirt connection URI
     * @return a builder with every setting at its default
     * @throws IllegalArgumentException if the URI is empty
     */
    static Builder builder(String uri) {
        return new Builder(uri);
    }

    /**
     * Configures and opens a {@link SnapshotManager}: options as methods, {@link #connect()} at the end. Each setter
     * checks its value at once ({@link IllegalArgumentException} naming the setting); the builder holds the values and
     * makes one {@link Settings} of them at {@link #connect()} (or {@link #settings()}). Not thread-safe; a builder may
     * connect any number of managers, each with the settings it had then.
     */
    final class Builder {
        private final String uri;
        private ImageAccess imageAccess = ImageAccess.AUTO;
        private java.util.Optional<java.nio.file.Path> stateDirectory = java.util.Optional.empty();
        private String hostStateDirectory = Settings.DEFAULT_HOST_STATE_DIRECTORY;
        private java.time.Duration lockWait = Settings.DEFAULT_LOCK_WAIT;
        private java.time.Duration leaseTime = Settings.DEFAULT_LEASE_TIME;
        private java.time.Duration blockJobStall = Settings.DEFAULT_BLOCK_JOB_STALL;
        private java.time.Duration processTimeout = Settings.DEFAULT_PROCESS_TIMEOUT;
        private int connections = Settings.DEFAULT_CONNECTIONS;
        private OperationListener listener = OperationListener.NONE;
        private boolean snapshotMarkers = true;
        private java.util.concurrent.ExecutorService executor = SharedWorkers.INSTANCE;
        private OverlayLayout overlayLayout = OverlayLayout.SUBCLUSTERS;
        private int maxChainDepth = Settings.DEFAULT_MAX_CHAIN_DEPTH;

        private Builder(String uri) {
            if (uri == null || uri.isBlank()) {
                throw new IllegalArgumentException("uri must not be empty; use SnapshotManager.defaultUri() for the"
                        + " default");
            }
            this.uri = uri;
        }

        /**
         * @param access how the domains' image files are reached (default {@link ImageAccess#AUTO})
         * @return this builder
         */
        public Builder imageAccess(ImageAccess access) {
            this.imageAccess = java.util.Objects.requireNonNull(access, "access");
            return this;
        }

        /**
         * @param directory the folder of this machine for journals and lock files when images are local files
         *                  (absolute; made owner-only when missing)
         * @return this builder
         */
        public Builder stateDirectory(java.nio.file.Path directory) {
            Settings.checkStateDirectory(directory);
            this.stateDirectory = java.util.Optional.of(directory);
            return this;
        }

        /**
         * @param directory the folder on the libvirt host for journals and leases when images are reached through
         *                  libvirt's storage API (default {@value Settings#DEFAULT_HOST_STATE_DIRECTORY})
         * @return this builder
         */
        public Builder hostStateDirectory(String directory) {
            Settings.checkHostStateDirectory(directory);
            this.hostStateDirectory = directory;
            return this;
        }

        /**
         * @param wait how long an operation waits for another on the same domain (default 60 s; zero: do not wait)
         * @return this builder
         */
        public Builder lockWait(java.time.Duration wait) {
            Settings.checkLockWait(wait);
            this.lockWait = wait;
            return this;
        }

        /**
         * @param time how long a remote client's lease lasts without a heartbeat (default 30 s, at least 1 s)
         * @return this builder
         */
        public Builder leaseTime(java.time.Duration time) {
            Settings.checkLeaseTime(time);
            this.leaseTime = time;
            return this;
        }

        /**
         * @param stall how long a merge may make no progress before it is aborted (default 10 min)
         * @return this builder
         */
        public Builder blockJobStall(java.time.Duration stall) {
            Settings.checkBlockJobStall(stall);
            this.blockJobStall = stall;
            return this;
        }

        /**
         * @param timeout the longest a helper process ({@code qemu-img}) may run (default 120 s)
         * @return this builder
         */
        public Builder processTimeout(java.time.Duration timeout) {
            Settings.checkProcessTimeout(timeout);
            this.processTimeout = timeout;
            return this;
        }

        /**
         * @param count how many libvirt connections the manager spreads its domains over (default 4, 1 to 64)
         * @return this builder
         */
        public Builder connections(int count) {
            Settings.checkConnections(count);
            this.connections = count;
            return this;
        }

        /**
         * @param listener told of every operation and step (default: none)
         * @return this builder
         */
        public Builder listener(OperationListener listener) {
            this.listener = java.util.Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * @param markers whether snapshot trees are cached and checked against libvirt's own snapshot metadata files
         *                where the daemon is on this machine (default true; false: every tree read fetches every
         *                snapshot's XML)
         * @return this builder
         */
        public Builder snapshotMarkers(boolean markers) {
            this.snapshotMarkers = markers;
            return this;
        }

        /**
         * Runs every operation's concurrent work (merges of several disks, a run of file steps, a restore prepared
         * ahead) on {@code executor} instead of ESM's shared default ({@code esm-worker-N} daemon threads, made as
         * needed). The executor stays the caller's: ESM never shuts it down, closing the manager does not either,
         * and the caller shuts it down once the managers using it are closed. Any number of threads will do (with
         * fewer than a plan has disks, their merges take turns); see {@link Settings#executor()}.
         *
         * @param executor the executor, not shut down
         * @return this builder
         */
        public Builder executor(java.util.concurrent.ExecutorService executor) {
            Settings.checkExecutor(executor);
            this.executor = executor;
            return this;
        }

        /**
         * @param layout how the overlays ESM makes are laid out (default {@link OverlayLayout#SUBCLUSTERS}: a guest's
         *               first 4 KiB write into a region copies nothing from the backing image; {@link
         *               OverlayLayout#CLASSIC}: the layout of {@code qemu-img create}'s defaults)
         * @return this builder
         */
        public Builder overlayLayout(OverlayLayout layout) {
            this.overlayLayout = java.util.Objects.requireNonNull(layout, "overlayLayout");
            return this;
        }

        /**
         * @param images the most images a disk's chain may hold, its active layer and base included (default {@value
         *               Settings#DEFAULT_MAX_CHAIN_DEPTH}, from {@value Settings#MIN_CHAIN_DEPTH} to {@value
         *               Settings#MAX_CHAIN_DEPTH}); see {@link Settings#maxChainDepth()}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxChainDepth(int images) {
            Settings.checkMaxChainDepth(images);
            this.maxChainDepth = images;
            return this;
        }

        /**
         * Takes the settings that are set as system properties: {@code esm.imageAccess} (an {@link ImageAccess}
         * name), {@code esm.stateDir}, {@code esm.hostStateDir}, {@code esm.lockWait}, {@code esm.leaseTtl},
         * {@code esm.blockJobStall}, {@code esm.processTimeout} (ISO-8601 durations such as {@code PT30S}),
         * {@code esm.connections}, {@code esm.snapshotMarkers} (markers stay on only when it is {@code true},
         * in any case), {@code esm.overlayLayout} (an {@link OverlayLayout} name) and {@code esm.maxChainDepth}. For tools and tests; {@link SnapshotManager#connect(String)} calls it.
         *
         * @return this builder
         * @throws IllegalArgumentException naming the property whose value is not valid
         */
        public Builder systemProperties() {
            String access = property("esm.imageAccess");
            if (access != null) {
                try {
                    imageAccess(ImageAccess.valueOf(access.trim().toUpperCase(java.util.Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("-Desm.imageAccess=" + access + " is not one of "
                            + java.util.Arrays.toString(ImageAccess.values()), e);
                }
            }
            String dir = property("esm.stateDir");
            if (dir != null) {
                stateDirectory(java.nio.file.Path.of(dir).toAbsolutePath());
            }
            String hostDir = property("esm.hostStateDir");
            if (hostDir != null) {
                hostStateDirectory(hostDir);
            }
            duration("esm.lockWait", this::lockWait);
            duration("esm.leaseTtl", this::leaseTime);
            duration("esm.blockJobStall", this::blockJobStall);
            duration("esm.processTimeout", this::processTimeout);
            String n = property("esm.connections");
            if (n != null) {
                try {
                    connections(Integer.parseInt(n.trim()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("-Desm.connections=" + n + ": " + e.getMessage(), e);
                }
            }
            String layout = property("esm.overlayLayout");
            if (layout != null) {
                try {
                    overlayLayout(OverlayLayout.valueOf(layout.trim().toUpperCase(java.util.Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("-Desm.overlayLayout=" + layout + " is not one of "
                            + java.util.Arrays.toString(OverlayLayout.values()), e);
                }
            }
            String depth = property("esm.maxChainDepth");
            if (depth != null) {
                try {
                    maxChainDepth(Integer.parseInt(depth.trim()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("-Desm.maxChainDepth=" + depth + ": " + e.getMessage(), e);
                }
            }
            String markers = System.getProperty("esm.snapshotMarkers");
            if (markers != null) {
                snapshotMarkers(Boolean.parseBoolean(markers)); // as it always was read: anything but true is off
            }
            return this;
        }

        private static String property(String name) {
            String v = System.getProperty(name);
            return v == null || v.isBlank() ? null : v;
        }

        private void duration(String name, java.util.function.Consumer<java.time.Duration> set) {
            String v = property(name);
            if (v != null) {
                try {
                    set.accept(java.time.Duration.parse(v.trim()));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("-D" + name + "=" + v + " is not a valid duration such as PT30S: "
                            + e.getMessage(), e);
                }
            }
        }

        /** @return the settings as they are now */
        public Settings settings() {
            return new Settings(imageAccess, stateDirectory, hostStateDirectory, lockWait, leaseTime, blockJobStall,
                    processTimeout, connections, listener, snapshotMarkers, executor, overlayLayout, maxChainDepth);
        }

        /**
         * Opens the manager.
         *
         * @return an open manager, which the caller closes
         * @throws HypervisorException if the daemon cannot be reached
         * @throws dev.esm.api.errors.InvalidOperationException if the URI names a driver ESM cannot serve, or
         *         {@link ImageAccess#LOCAL_FILES} for a remote URI
         * @throws IllegalStateException if no implementation (esm-libvirt) is on the class path
         */
        public SnapshotManager connect() {
            Settings chosen = settings();
            return ServiceLoader.load(SnapshotManagerProvider.class, SnapshotManager.class.getClassLoader())
                    .stream()
                    .map(ServiceLoader.Provider::get)
                    .filter(p -> p.supports(uri))
                    .max(Comparator.comparingInt(SnapshotManagerProvider::priority))
                    .orElseThrow(() -> new IllegalStateException(
                            "no ESM implementation supports '" + uri + "': add dev.esm:esm-libvirt to the class path"))
                    .open(uri, chosen);
        }
    }

    /** @return {@code LIBVIRT_DEFAULT_URI} when set and not blank, else {@value #DEFAULT_URI} */
    static String defaultUri() {
        String env = System.getenv("LIBVIRT_DEFAULT_URI");
        return env == null || env.isBlank() ? DEFAULT_URI : env;
    }

    /** @return the URI this manager is connected to */
    String uri();

    /**
     * Looks up a domain (VM) by name.
     *
     * @param name the libvirt domain name
     * @return a handle for the domain's snapshots; cheap, holds no libvirt object
     * @throws DomainNotFoundException if there is no such domain
     */
    DomainSnapshots domain(String name);

    /** Closes the libvirt connection. Idempotent. */
    @Override
    void close();
}
