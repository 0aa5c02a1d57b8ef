package dev.esm.junit5;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * A tiny lab domain for demos and tests: 64 MiB, one vCPU, TCG (no KVM needed), no OS (it sits in SeaBIOS), one
 * 16 MiB qcow2 disk and one 8 MiB raw disk (or as many qcow2 disks as asked) in a fresh folder under
 * {@code /var/tmp/esm-demo} (world-traversable, as QEMU runs as another user). Made with {@code qemu-img} and
 * libvirt-java, not with ESM: defining domains is not ESM's job. {@link #close()} removes the domain, its snapshot
 * metadata and the folder. {@link EsmThrowawayDomain} makes one per test class. Not thread-safe.
 */
public final class ThrowawayDomain implements AutoCloseable {
    private final String uri;
    private final String name;
    private final Path folder;

    private ThrowawayDomain(String uri, String name, Path folder) {
        this.uri = uri;
        this.name = name;
        this.folder = folder;
    }

    /**
     * Makes the folder and images and defines the domain.
     *
     * @param uri the libvirt URI
     * @param prefix the start of the domain's name
     */
    public static ThrowawayDomain create(String uri, String prefix) throws IOException {
        return create(uri, prefix, -1, 16L << 20);
    }

    /**
     * A lab domain with {@code disks} qcow2 disks of {@code size} bytes ({@code vda}, {@code vdb}, ...); with -1,
     * the demo's pair of a qcow2 and a raw disk.
     */
    public static ThrowawayDomain create(String uri, String prefix, int disks, long size) throws IOException {
        return create(uri, prefix, null, disks, size);
    }

    /**
     * A lab domain with a name of the caller's choosing (which must not be taken), else as
     * {@link #create(String, String, int, long)}.
     */
    public static ThrowawayDomain named(String uri, String name, int disks, long size) throws IOException {
        return create(uri, name, name, disks, size);
    }

    private static ThrowawayDomain create(String uri, String prefix, String chosen, int disks, long size)
            throws IOException {
        Path base = Path.of("/var/tmp/esm-demo");
        Files.createDirectories(base);
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path folder = Files.createTempDirectory(base, prefix + "-");
        // QEMU runs as libvirt-qemu: the folder must let it through.
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        String name = chosen != null ? chosen : folder.getFileName().toString();
        StringBuilder devices = new StringBuilder();
        if (disks < 0) {
            run("qemu-img", "create", "-q", "-f", "qcow2", folder.resolve("system.qcow2").toString(), "16M");
            run("qemu-img", "create", "-q", "-f", "raw", folder.resolve("data.img").toString(), "8M");
            devices.append(disk(folder.resolve("system.qcow2"), "qcow2", "vda"))
                    .append(disk(folder.resolve("data.img"), "raw", "vdb"));
        } else {
            for (int i = 0; i < disks; i++) {
                Path img = folder.resolve("disk" + i + ".qcow2");
                run("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), Long.toString(size));
                devices.append(disk(img, "qcow2", "vd" + (char) ('a' + i)));
            }
        }
        String xml = "<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                + "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>" + devices
                + "</devices></domain>";
        Connect conn = null;
        try {
            conn = new Connect(uri, false);
            conn.domainDefineXML(xml).free();
        } catch (LibvirtException e) {
            throw new IOException("cannot define the lab domain " + name + " at " + uri + ": " + e.getMessage(), e);
        } finally {
            close(conn);
        }
        return new ThrowawayDomain(uri, name, folder);
    }

    private static String disk(Path path, String format, String target) {
        return "<disk type='file' device='disk'><driver name='qemu' type='" + format + "'/><source file='" + path
                + "'/><target dev='" + target + "' bus='virtio'/></disk>";
    }

    /** @return the domain's name */
    public String name() {
        return name;
    }

    /** @return the folder holding its images */
    public Path folder() {
        return folder;
    }

    /** Starts the domain (it boots into SeaBIOS and waits there). */
    public void start() {
        withDomain(d -> d.create());
    }

    /** Powers the domain off. */
    public void stop() {
        withDomain(d -> d.destroy());
    }

    @FunctionalInterface
    private interface DomainCall {
        void apply(Domain d) throws LibvirtException;
    }

    private void withDomain(DomainCall call) {
        Connect conn = null;
        Domain d = null;
        try {
            conn = new Connect(uri, false);
            d = conn.domainLookupByName(name);
            call.apply(d);
        } catch (LibvirtException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } finally {
            if (d != null) {
                try {
                    d.free();
                } catch (LibvirtException ignored) {
                    // nothing left to free
                }
            }
            close(conn);
        }
    }

    /** Powers the domain off if it runs, removes it with its snapshot metadata, and deletes its folder. */
    @Override
    public void close() {
        try {
            withDomain(d -> {
                if (d.isActive() == 1) {
                    d.destroy();
                }
                d.undefine(2); // VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
            });
        } catch (IllegalStateException e) {
            // already gone
        }
        try (Stream<Path> s = Files.walk(folder)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static void close(Connect conn) {
        if (conn != null) {
            try {
                conn.close();
            } catch (LibvirtException ignored) {
                // closing anyway
            }
        }
    }

    private static void run(String... command) throws IOException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
