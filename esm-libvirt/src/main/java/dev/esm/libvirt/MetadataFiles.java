package dev.esm.libvirt;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * libvirt's QEMU snapshot metadata files, read as change markers ({@link SnapshotCache.Markers}): one directory per
 * domain, {@code <dir>/<domain>/<snapshot>.xml}, written by the daemon. Only for a daemon on this machine whose
 * directory is known from the URI: {@code qemu:///system} ({@code /var/lib/libvirt/qemu/snapshot}, readable by root
 * and the libvirt group) and {@code qemu:///session} ({@code $XDG_CONFIG_HOME/libvirt/qemu/snapshot}); a URI with a
 * host, a {@code socket=} or any other parameter (another daemon, perhaps in another root) or another driver has
 * none, and its trees are read in full. {@link dev.esm.api.Settings#snapshotMarkers()} false (or
 * {@code -Desm.snapshotMarkers=false}, read by {@link dev.esm.api.SnapshotManager.Builder#systemProperties()}) turns
 * them off: {@link LibvirtHost} then does not ask for them.
 *
 * <p>Thread-safety: immutable; thread-safe.
 */
final class MetadataFiles implements SnapshotCache.Markers {
    private final Path root;

    MetadataFiles(Path root) {
        this.root = root;
    }

    /** @return the metadata files of the daemon {@code uri} names, when they are on this machine and readable */
    static Optional<SnapshotCache.Markers> forUri(String uri) {
        return directoryOf(uri, System.getenv("XDG_CONFIG_HOME"), System.getProperty("user.home"))
                .filter(Files::isDirectory)
                .filter(Files::isReadable)
                .map(MetadataFiles::new);
    }

    /** @return where the daemon {@code uri} names keeps its snapshot metadata, when the URI says so unambiguously */
    static Optional<Path> directoryOf(String uri, String xdgConfigHome, String home) {
        URI u;
        try {
            u = new URI(uri);
        } catch (java.net.URISyntaxException e) {
            return Optional.empty();
        }
        String scheme = u.getScheme();
        if (!"qemu".equals(scheme) && !"qemu+unix".equals(scheme)) {
            return Optional.empty();
        }
        if ((u.getHost() != null && !u.getHost().isEmpty()) || u.getRawQuery() != null || u.getRawAuthority() != null) {
            return Optional.empty();
        }
        if ("/system".equals(u.getPath())) {
            return Optional.of(Path.of("/var/lib/libvirt/qemu/snapshot"));
        }
        if ("/session".equals(u.getPath())) {
            Path config = xdgConfigHome != null && !xdgConfigHome.isEmpty() ? Path.of(xdgConfigHome)
                    : home == null ? null : Path.of(home, ".config");
            return Optional.ofNullable(config).map(c -> c.resolve("libvirt/qemu/snapshot"));
        }
        return Optional.empty();
    }

    @Override
    public Optional<SnapshotCache.Stamp> directory(String domain) {
        return plain(domain) ? stamp(root.resolve(domain)) : Optional.empty();
    }

    @Override
    public Optional<SnapshotCache.Stamp> file(String domain, String snapshot) {
        return plain(domain) && plain(snapshot) ? stamp(root.resolve(domain).resolve(snapshot + ".xml"))
                : Optional.empty();
    }

    /** A name that is one path element (libvirt refuses '/' in names; anything odd has no marker). */
    private static boolean plain(String name) {
        return !name.isEmpty() && name.indexOf('/') < 0 && name.indexOf('\0') < 0 && !name.equals(".")
                && !name.equals("..");
    }

    private static Optional<SnapshotCache.Stamp> stamp(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            if (a.fileKey() == null) {
                return Optional.empty(); // no inode to tell a rewritten file from the old one
            }
            return Optional.of(new SnapshotCache.Stamp(a.fileKey(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
                    a.size()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
