package dev.esm.libvirt.testbed;

import dev.esm.api.DiskImage;
import dev.esm.api.SnapshotManager;
import dev.esm.core.contract.Bed;
import dev.esm.core.model.DiskDef;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.port.Host;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.Xml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.w3c.dom.Element;
import dev.esm.libvirt.connect.LibvirtErrors;
import dev.esm.libvirt.local.LocalStorage;
import dev.esm.libvirt.LibvirtHost;

/**
 * The contract's bed over the real libvirtd (QEMU driver, TCG): tiny domains with no OS, images in a folder the
 * {@code libvirt-qemu} user can reach, data patterns written and read with {@code qemu-io} offline and HMP
 * {@code qemu-io} in a running QEMU. If libvirt cannot be reached, opening the bed fails (never skips).
 */
public final class LibvirtBed implements Bed {
    /** {@code virDomainUndefineFlags}: snapshot metadata (2), UEFI variables (4), checkpoint metadata (16). */
    public static final int UNDEFINE_ALL = 2 | 4 | 16;

    /** The URI the integration tests use: {@code ESM_TEST_URI}, else {@code qemu:///system}. */
    public static final String URI = System.getenv().getOrDefault("ESM_TEST_URI", "qemu:///system");
    private static final int LENGTH = 64 * 1024;

    private final Path root;
    private final SnapshotManager manager;
    private final LibvirtHost host;
    private final Connect conn;
    private final List<String> domains = new ArrayList<>();

    public LibvirtBed() {
        this(dev.esm.api.ImageAccess.LOCAL_FILES);
    }

    /** @param access how the manager under test reaches the images (the bed itself reads them as files) */
    public LibvirtBed(dev.esm.api.ImageAccess access) {
        try {
            Path base = Path.of(System.getProperty("esm.it.dir", "/var/tmp/esm-it"));
            Files.createDirectories(base);
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            root = Files.createTempDirectory(base, "bed-");
            // QEMU runs as libvirt-qemu: the folders must let it through (a 0700 temp folder makes start fail).
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
            conn = new Connect(URI, false);
        } catch (IOException | LibvirtException e) {
            throw new IllegalStateException("cannot open the libvirt test bed at " + URI + ": " + e, e);
        }
        manager = SnapshotManager.connect(URI, access);
        host = new LibvirtHost(URI, new LocalStorage());
    }

    @Override
    public SnapshotManager manager() {
        return manager;
    }

    @Override
    public Host host() {
        return host;
    }

    /** @return the HMP-capable host */
    public LibvirtHost libvirtHost() {
        return host;
    }

    @Override
    public String newDomain(List<DiskSpec> disks) {
        return define(disks, false);
    }

    /** OVMF (Debian's {@code ovmf}) on q35, without secure boot; its VARS file made from the template here. */
    @Override
    public String newFirmwareDomain(List<DiskSpec> disks) {
        return define(disks, true);
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

    /**
     * Starts a new TPM domain once and powers it off, so that libvirt's {@code swtpm_setup} makes its state.
     *
     * @return the domain's name
     */
    static String withTpmState(Bed bed, String name, java.util.function.Predicate<String> exists) {
        bed.start(name);
        bed.stop(name);
        String state = bed.tpmStateFile(name);
        if (!exists.test(state)) {
            throw new IllegalStateException("libvirt made no TPM state at " + state + " on the host (is swtpm"
                    + " installed? scripts/libvirt-up.sh installs it)");
        }
        return name;
    }

    @Override
    public String tpmStateFile(String domain) {
        return DomainXml.parse(host.domainXml(domain, false)).tpmState().orElseThrow();
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

    private String define(List<DiskSpec> disks, boolean firmware) {
        return define(disks, firmware, false);
    }

    private String define(List<DiskSpec> disks, boolean firmware, boolean tpm) {
        String name = "esm-it-" + root.getFileName().toString().replace("bed-", "") + "-" + (domains.size() + 1);
        Path dir = Path.of(folder(name));
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder xml = new StringBuilder("<domain type='qemu'><name>").append(name)
                .append("</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>")
                .append(firmware ? firmwareOs(dir) : "<os><type arch='x86_64' machine='pc'>hvm</type></os>")
                .append("<devices>");
        for (DiskSpec d : disks) {
            Path image = dir.resolve(d.fileName());
            run(List.of("qemu-img", "create", "-q", "-f", d.format().id(), image.toString(),
                    Long.toString(d.size())));
            xml.append("<disk type='file' device='").append(d.device()).append("'><driver name='qemu' type='")
                    .append(d.format().id()).append("'/><source file='").append(Xml.write(text(image.toString())))
                    .append("'/><target dev='").append(d.target()).append("' bus='").append(Bed.busOf(d.target()))
                    .append("'/>").append(d.device().equals("cdrom") ? "<readonly/>" : "").append("</disk>");
        }
        if (tpm) {
            xml.append("<tpm model='tpm-tis'><backend type='emulator' version='2.0'><source type='dir' path='")
                    .append(Xml.write(text(root.resolve(name + "-tpm").toString()))).append("'/></backend></tpm>");
        }
        xml.append("</devices></domain>");
        host.defineDomain(xml.toString());
        domains.add(name);
        return name;
    }

    /**
     * Like {@link #newDomain}, with the RAM-pattern guest in the first disk's first sector: once started, the
     * guest keeps RAM filled with a byte the test sets through the RTC's CMOS (HMP {@code o}), and HMP {@code xp}
     * reads it back. Disk patterns written later over sector 0 do not stop the running guest (its code is in RAM).
     */
    @Override
    public String newBootableDomain(List<DiskSpec> disks) {
        String name = newDomain(disks);
        DiskImage first = active(name, disks.get(0).target(), false);
        try {
            Path boot = Files.createTempFile(root, "boot", ".bin");
            Files.write(boot, RamGuest.bootSector());
            run(List.of("qemu-io", "-f", first.format().id(), "-c", "write -s " + boot + " 0 512", first.path()));
            Files.delete(boot);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return name;
    }

    @Override
    public void writeMemory(String domain, int pattern) {
        RamGuest.write(host, domain, pattern);
    }

    @Override
    public boolean memoryReads(String domain, int pattern) {
        return RamGuest.reads(host, domain, pattern);
    }

    @Override
    public void resume(String domain) {
        withDomain(domain, "resuming", Domain::resume);
    }

    @Override
    public void pause(String domain) {
        withDomain(domain, "pausing", Domain::suspend);
    }

    private interface DomainAction {
        void apply(Domain d) throws LibvirtException;
    }

    private void withDomain(String domain, String doing, DomainAction action) {
        Domain d = null;
        try {
            d = conn.domainLookupByName(domain);
            action.apply(d);
        } catch (LibvirtException e) {
            throw new IllegalStateException(doing + " " + domain + ": " + e, e);
        } finally {
            if (d != null) {
                try {
                    d.free();
                } catch (LibvirtException ignored) {
                    // nothing to free
                }
            }
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

    private static org.w3c.dom.Text text(String s) {
        return Xml.newDocument().createTextNode(s);
    }

    @Override
    public String folder(String domain) {
        return root.resolve(domain).toString();
    }

    private DiskImage active(String domain, String target, boolean live) {
        DomainDefinition def = DomainXml.parse(host.domainXml(domain, live));
        return def.disk(target).flatMap(DiskDef::image).orElseThrow();
    }

    private String qdev(String domain, String target) {
        Element root = Xml.parse(host.domainXml(domain, true)).getDocumentElement();
        for (Element disk : Xml.path(root, "devices", "disk")) {
            if (Xml.child(disk, "target").map(t -> t.getAttribute("dev")).orElse("").equals(target)) {
                String alias = Xml.child(disk, "alias").orElseThrow().getAttribute("name");
                return "/machine/peripheral/" + alias + "/virtio-backend";
            }
        }
        throw new IllegalArgumentException("no disk " + target);
    }

    @Override
    public void write(String domain, String target, int pattern) {
        String cmd = String.format("write -P 0x%02x 0 %d", pattern, LENGTH);
        if (host.state(domain).isActive()) {
            String out = host.humanMonitorCommand(domain, "qemu-io -d " + qdev(domain, target) + " \"" + cmd + "\"");
            if (!out.isBlank()) {
                throw new IllegalStateException("HMP qemu-io write failed: " + out);
            }
        } else {
            DiskImage img = active(domain, target, false);
            run(List.of("qemu-io", "-f", img.format().id(), "-c", cmd, img.path()));
        }
    }

    /** Writes {@code bytes} of a pattern from offset 0 into a shut-off domain's active layer. */
    public void writeLarge(String domain, String target, int pattern, long bytes) {
        DiskImage img = active(domain, target, false);
        run(List.of("qemu-io", "-f", img.format().id(), "-c", String.format("write -P 0x%02x 0 %d", pattern, bytes),
                img.path()));
    }

    @Override
    public boolean reads(String domain, String target, int pattern) {
        String cmd = String.format("read -P 0x%02x 0 %d", pattern, LENGTH);
        if (host.state(domain).isActive()) {
            String out = host.humanMonitorCommand(domain, "qemu-io -d " + qdev(domain, target) + " \"" + cmd + "\"");
            return !out.contains("verification failed") && !out.toLowerCase().contains("error");
        }
        return imageReads(active(domain, target, false), pattern);
    }

    @Override
    public boolean imageReads(DiskImage image, int pattern) {
        String out = run(List.of("qemu-io", "-r", "-U", "-f", image.format().id(), "-c",
                String.format("read -P 0x%02x 0 %d", pattern, LENGTH), image.path()));
        return !out.contains("verification failed");
    }

    @Override
    public void start(String domain) {
        host.startDomain(domain);
    }

    @Override
    public void stop(String domain) {
        host.stopDomain(domain);
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


    /**
     * Stops the transient storage pools ESM made over {@code root} and folders below it (what {@code
     * ConnectionPool.dropTransientPoolsUnder} does, on a connection of the test's own); a failure is only reported.
     */
    public static void dropTransientPoolsUnder(Connect conn, String root) {
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
            System.err.println("test bed: could not drop the pools under " + root + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        java.util.List<String> uuids = new java.util.ArrayList<>();
        for (String name : domains) {
            Domain d = null;
            try {
                d = conn.domainLookupByName(name);
                uuids.add(d.getUUIDString());
                if (d.isActive() == 1) {
                    d.destroy();
                }
                // Snapshot and checkpoint metadata and the UEFI variables too: without NVRAM libvirt
                // refuses to remove a UEFI domain, which then outlived every run.
                d.undefine(UNDEFINE_ALL);
            } catch (LibvirtException e) {
                if (!LibvirtErrors.isCode(e, "VIR_ERR_NO_DOMAIN")) {
                    // Not gone: say so, as a domain left behind outlives the run (and slows the next ones).
                    System.err.println("test bed: could not remove domain " + name + ": " + e.getMessage());
                }
            } finally {
                if (d != null) {
                    try {
                        d.free();
                    } catch (LibvirtException ignored) {
                        // nothing to free
                    }
                }
            }
        }
        dropTransientPoolsUnder(conn, root.toString());
        for (String uuid : uuids) {
            dropTransientPoolsUnder(conn, "/var/lib/libvirt/swtpm/" + uuid); // the pool ESM made over a TPM's state folder
        }
        try {
            conn.close();
        } catch (LibvirtException ignored) {
            // closing anyway
        }
        host.close();
        manager.close();
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
