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
     * Connects to a libvirt daemon.
     *
     * @param uri a libvirt connection URI such as {@code qemu:///system}, or a remote one such as
     *            {@code qemu+ssh://root@host/system} (images then reached through libvirt's storage API, see
     *            {@link ImageAccess})
     * @return an open manager
     * @throws HypervisorException if the daemon cannot be reached
     * @throws IllegalStateException if no implementation (esm-libvirt) is on the class path
     */
    static SnapshotManager connect(String uri) {
        String chosen = System.getProperty("esm.imageAccess");
        ImageAccess access = ImageAccess.AUTO;
        if (chosen != null && !chosen.isBlank()) {
            try {
                access = ImageAccess.valueOf(chosen.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-Desm.imageAccess=" + chosen + " is not one of "
                        + java.util.Arrays.toString(ImageAccess.values()), e);
            }
        }
        return connect(uri, access);
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
     * @param access how images are reached; {@link SnapshotManager#connect(String)} takes {@link ImageAccess#AUTO}
     *               unless the system property {@code esm.imageAccess} names another
     * @return an open manager
     * @throws HypervisorException if the daemon cannot be reached
     * @throws dev.esm.api.errors.InvalidOperationException if the URI names a driver ESM cannot serve (only
     *         QEMU's is supported), or {@code LOCAL_FILES} for a remote URI
     */
    static SnapshotManager connect(String uri, ImageAccess access) {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("uri must not be empty; use connect() for the default");
        }
        return ServiceLoader.load(SnapshotManagerProvider.class, SnapshotManager.class.getClassLoader())
                .stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.supports(uri))
                .max(Comparator.comparingInt(SnapshotManagerProvider::priority))
                .orElseThrow(() -> new IllegalStateException(
                        "no ESM implementation supports '" + uri + "': add dev.esm:esm-libvirt to the class path"))
                .open(uri, java.util.Objects.requireNonNull(access, "access"));
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
