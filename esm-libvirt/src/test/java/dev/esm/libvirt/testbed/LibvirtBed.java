package dev.esm.libvirt.testbed;

import dev.esm.api.DiskImage;
import dev.esm.api.SnapshotManager;
import dev.esm.core.xml.Xml;
import dev.esm.libvirt.LibvirtHost;
import dev.esm.libvirt.internal.local.LocalStorage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The contract's bed over the real libvirtd (QEMU driver, TCG): tiny domains with no OS, images in a folder the
 * {@code libvirt-qemu} user can reach, data patterns written and read with {@code qemu-io} offline and HMP
 * {@code qemu-io} in a running QEMU. If libvirt cannot be reached, opening the bed fails (never skips).
 */
public final class LibvirtBed extends AbstractLibvirtBed {
    /** The URI the integration tests use: {@code ESM_TEST_URI}, else {@code qemu:///system}. */
    public static final String URI = System.getenv().getOrDefault("ESM_TEST_URI", "qemu:///system");

    private final Path rootPath;
    private final SnapshotManager manager;
    private final dev.esm.api.ImageAccess access;

    public LibvirtBed() {
        this(dev.esm.api.ImageAccess.LOCAL_FILES);
    }

    /** @param access how the manager under test reaches the images (the bed itself reads them as files) */
    public LibvirtBed(dev.esm.api.ImageAccess access) {
        this(access, makeRoot());
    }

    private LibvirtBed(dev.esm.api.ImageAccess access, Path root) {
        super(root.toString(), open(URI, "cannot open the libvirt test bed at " + URI),
                new LibvirtHost(URI, new LocalStorage()));
        this.rootPath = root;
        this.access = access;
        this.manager = SnapshotManager.connect(URI, access);
    }

    private static Path makeRoot() {
        try {
            Path base = Path.of(System.getProperty("esm.it.dir", "/var/tmp/esm-it"));
            Files.createDirectories(base);
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path root = Files.createTempDirectory(base, "bed-");
            // QEMU runs as libvirt-qemu: the folders must let it through (a 0700 temp folder makes start fail).
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
            return root;
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the libvirt test bed at " + URI + ": " + e, e);
        }
    }

    @Override
    public SnapshotManager manager() {
        return manager;
    }

    @Override
    public String newDomain(List<DiskSpec> disks) {
        return define(disks, false, false);
    }

    /** OVMF (Debian's {@code ovmf}) on q35, without secure boot; its VARS file made from the template here. */
    @Override
    public String newFirmwareDomain(List<DiskSpec> disks) {
        return define(disks, true, false);
    }

    @Override
    public String firmwareFile(String domain) {
        return folder(domain) + "/VARS.fd";
    }

    @Override
    public void writeFirmware(String domain, int pattern) {
        run(List.of("qemu-io", "-f", "raw", "-c", String.format("write -P 0x%02x 0 512", pattern),
                firmwareFile(domain)));
    }

    @Override
    public boolean fileReads(String path, int pattern) {
        try {
            byte[] head = new byte[512];
            try (var in = Files.newInputStream(Path.of(path))) {
                if (in.readNBytes(head, 0, 512) != 512) {
                    return false;
                }
            }
            for (byte b : head) {
                if ((b & 0xff) != pattern) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            throw new IllegalStateException("reading " + path + ": " + e, e);
        }
    }

    /**
     * A TPM 2.0 emulated by swtpm ({@code tpm-tis}), started once and powered off, so that libvirt's {@code
     * swtpm_setup} made its state (as user {@code tss} on Debian). It asks for its state in a folder of the bed's
     * ({@code <backend><source type='dir'>}): a libvirt that knows that element (10.8 and later) keeps the state
     * there, where this process sees it even when libvirtd runs in another root (scripts/libvirt11-up.sh); an older
     * one drops the element and keeps the state in its own folder ({@code /var/lib/libvirt/swtpm/<uuid>/tpm2}). ESM
     * and the tests read where from the definition libvirt gives back.
     */
    @Override
    public String newTpmDomain(List<DiskSpec> disks) {
        return withTpmState(this, define(disks, false, true), p -> Files.exists(Path.of(p)));
    }

    @Override
    public void writeTpmState(String domain, int pattern) {
        byte[] head = new byte[512];
        java.util.Arrays.fill(head, (byte) pattern);
        try (var ch = java.nio.channels.FileChannel.open(Path.of(tpmStateFile(domain)),
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(head), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void growFile(String path, int pattern) {
        byte[] tail = new byte[4096];
        java.util.Arrays.fill(tail, (byte) pattern);
        try {
            Files.write(Path.of(path), tail, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private String define(List<DiskSpec> disks, boolean firmware, boolean tpm) {
        String name = nextDomainName("esm-it-");
        Path dir = Path.of(folder(name));
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder xml = new StringBuilder(domainXmlHead(name, firmware ? firmwareOs(dir) : PLAIN_OS));
        for (DiskSpec d : disks) {
            Path image = dir.resolve(d.fileName());
            run(List.of("qemu-img", "create", "-q", "-f", d.format().id(), image.toString(),
                    Long.toString(d.size())));
            xml.append(diskXml(d, image.toString()));
        }
        if (tpm) {
            xml.append("<tpm model='tpm-tis'><backend type='emulator' version='2.0'><source type='dir' path='")
                    .append(Xml.write(text(rootPath.resolve(name + "-tpm").toString())))
                    .append("'/></backend></tpm>");
        }
        xml.append("</devices></domain>");
        define(name, xml.toString());
        return name;
    }

    @Override
    protected void writeBootSector(DiskImage image, byte[] sector) {
        try {
            Path boot = Files.createTempFile(rootPath, "boot", ".bin");
            Files.write(boot, sector);
            run(List.of("qemu-io", "-f", image.format().id(), "-c", "write -s " + boot + " 0 512", image.path()));
            Files.delete(boot);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String fileHash(String path) {
        try (var in = Files.newInputStream(Path.of(path))) {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
            return java.util.HexFormat.of().formatHex(sha.digest());
        } catch (IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("hashing " + path + ": " + e, e);
        }
    }

    /** Cuts the file to 100 bytes: libvirt's save header is longer. */
    @Override
    public void damage(String path) {
        try (var ch = java.nio.channels.FileChannel.open(Path.of(path), java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(100);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final String OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    private static final String OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

    private static String firmwareOs(Path dir) {
        Path vars = dir.resolve("VARS.fd");
        try {
            Files.copy(Path.of(OVMF_VARS), vars);
        } catch (IOException e) {
            throw new IllegalStateException("cannot copy OVMF's VARS template (install the package ovmf;"
                    + " scripts/libvirt-up.sh does): " + e, e);
        }
        return "<os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>" + OVMF_CODE
                + "</loader><nvram template='" + OVMF_VARS + "'>" + vars + "</nvram></os><features><acpi/></features>";
    }

    @Override
    protected void writeImage(DiskImage image, int pattern, long bytes) {
        run(List.of("qemu-io", "-f", image.format().id(), "-c", String.format("write -P 0x%02x 0 %d", pattern, bytes),
                image.path()));
    }

    @Override
    protected void writeImageAt(DiskImage image, int pattern, long offset, long bytes) {
        run(List.of("qemu-io", "-f", image.format().id(), "-c",
                String.format("write -P 0x%02x %d %d", pattern, offset, bytes), image.path()));
    }

    @Override
    protected boolean imageReadsAt(DiskImage image, int pattern, long offset, long bytes) {
        String out = run(List.of("qemu-io", "-r", "-U", "-f", image.format().id(), "-c",
                String.format("read -P 0x%02x %d %d", pattern, offset, bytes), image.path()));
        return !out.contains("verification failed");
    }

    @Override
    protected SnapshotManager.Builder managerBuilder() {
        return SnapshotManager.builder(URI).systemProperties().imageAccess(access);
    }

    @Override
    public boolean imageReads(DiskImage image, int pattern) {
        String out = run(List.of("qemu-io", "-r", "-U", "-f", image.format().id(), "-c",
                String.format("read -P 0x%02x 0 %d", pattern, LENGTH), image.path()));
        return !out.contains("verification failed");
    }

    @Override
    public Set<String> files(String dir) {
        Set<String> out = new TreeSet<>();
        Path p = Path.of(dir);
        if (!Files.isDirectory(p)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.filter(Files::isRegularFile).forEach(f -> out.add(f.toString()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Runs a command, returning its output; fails on a non-zero exit. */
    public static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(command + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(command + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The manager under test, then the bed's folder. */
    @Override
    protected void closeRest() {
        manager.close();
        try (Stream<Path> s = Files.walk(rootPath)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
