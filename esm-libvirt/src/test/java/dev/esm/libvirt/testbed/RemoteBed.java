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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.w3c.dom.Element;
import dev.esm.libvirt.connect.LibvirtErrors;
import dev.esm.libvirt.LibvirtHost;

/**
 * The contract's bed over a remote libvirt: the client (this JVM) talks to libvirtd only through
 * {@code qemu+ssh://} and cannot see the images, which live on the "host" under {@link #ROOT} and are made and
 * read there through {@link RemoteShell}. Mirrors {@link LibvirtBed}: tiny domains with no OS, patterns written
 * and read with {@code qemu-io} (on the host when the domain is shut off, through HMP in the running QEMU).
 *
 * <p>Runs only in the remote ITs' JVM (Failsafe's {@code remote-it} execution, {@code src/test/hidden-jvm/bin/java}),
 * whose private mount namespace has an empty tmpfs over {@link #ROOT}; anywhere else opening the bed fails, as it
 * does when ssh or libvirt cannot be reached (never skips).
 */
public final class RemoteBed implements Bed {
    /** The images root on the host; hidden from the client. {@code ESM_RIT_ROOT}, else {@code /var/tmp/esm-rit}. */
    public static final String ROOT = System.getenv().getOrDefault("ESM_RIT_ROOT", "/var/tmp/esm-rit");
    private static final int LENGTH = 64 * 1024;

    private final String uri;
    private final RemoteShell shell;
    private final String root;
    private final Connect conn;
    private final LibvirtHost host;
    private SnapshotManager manager;
    private final List<String> domains = new ArrayList<>();

    public RemoteBed() {
        this(uri(), new RemoteShell());
    }

    public RemoteBed(String uri, RemoteShell shell) {
        checkHidden();
        this.uri = uri;
        this.shell = shell;
        // Folders the libvirt-qemu user can get through (0755), made on the host.
        this.root = shell.mktempDir(ROOT, "bed-");
        try {
            conn = new Connect(uri, false);
        } catch (LibvirtException e) {
            shell.removeTree(root);
            throw new IllegalStateException("cannot open the remote libvirt test bed at " + uri
                    + " (start libvirtd and the test sshd: bash scripts/libvirt-up.sh && bash scripts/remote-up.sh): "
                    + e, e);
        }
        host = new LibvirtHost(uri, dev.esm.api.ImageAccess.LIBVIRT_STORAGE);
    }

    /**
     * The URI of the remote tests: {@code ESM_REMOTE_URI}, else the one {@code scripts/remote-up.sh} stored in its
     * run folder ({@code qemu+ssh://root@127.0.0.1:2222/system?keyfile=...}).
     */
    public static String uri() {
        String env = System.getenv("ESM_REMOTE_URI");
        if (env != null && !env.isBlank()) {
            return env;
        }
        Path file = RemoteShell.SSH_DIR.resolve("uri");
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new IllegalStateException("no remote URI (" + file + " is missing): start the test sshd with"
                    + " 'bash scripts/remote-up.sh'", e);
        }
    }

    /**
     * Fails unless this JVM runs where the images root is hidden: an empty tmpfs set up by the hidden JVM wrapper.
     */
    static void checkHidden() {
        Path root = Path.of(ROOT);
        String why = null;
        if (!ROOT.equals(System.getenv("ESM_HIDDEN_ROOT"))) {
            why = "ESM_HIDDEN_ROOT is not " + ROOT;
        } else {
            try (Stream<Path> s = Files.list(root)) {
                if (!"tmpfs".equals(Files.getFileStore(root).type())) {
                    why = root + " is not the namespace's tmpfs";
                } else if (s.findAny().isPresent()) {
                    why = root + " is not empty";
                }
            } catch (IOException e) {
                why = "cannot read " + root + ": " + e;
            }
        }
        if (why != null) {
            throw new IllegalStateException("the remote test bed runs only with the images hidden from the client ("
                    + why + "): run the remote ITs through Failsafe's remote-it execution, e.g. cd esm-libvirt &&"
                    + " ../mvnw verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Desm.skipLocalITs=true");
        }
    }

    /** @return the URI the bed's domains are defined over */
    public String uriOfBed() {
        return uri;
    }

    /** @return the shell on the host */
    public RemoteShell shell() {
        return shell;
    }

    /** @return this bed's folder on the host */
    public String root() {
        return root;
    }

    /** The manager under test, {@code SnapshotManager.connect(uri)}, opened on first use. */
    @Override
    public synchronized SnapshotManager manager() {
        if (manager == null) {
            manager = SnapshotManager.connect(uri);
        }
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

    /** As {@link LibvirtBed#newTpmDomain}: a TPM 2.0 (swtpm) started once, so that libvirt made its state. */
    @Override
    public String newTpmDomain(List<DiskSpec> disks) {
        return LibvirtBed.withTpmState(this, define(disks, true), shell::exists);
    }

    @Override
    public String tpmStateFile(String domain) {
        return DomainXml.parse(host.domainXml(domain, false)).tpmState().orElseThrow();
    }

    /** On the host, in place (dd without truncation: the file keeps its owner and mode). */
    @Override
    public void writeTpmState(String domain, int pattern) {
        shell.script("head -c 512 /dev/zero | tr '\\000' \"$(printf '\\%03o' \"$1\")\" | dd of=\"$2\" bs=512 count=1"
                + " conv=notrunc status=none", Integer.toString(pattern), tpmStateFile(domain));
    }

    @Override
    public void growFile(String path, int pattern) {
        shell.script("head -c 4096 /dev/zero | tr '\\000' \"$(printf '\\%03o' \"$1\")\" >> \"$2\"",
                Integer.toString(pattern), path);
    }

    @Override
    public boolean fileReads(String path, int pattern) {
        return shell.script("head -c 512 \"$2\" | od -An -v -tu1 | tr -s ' \\n' '\\n' | grep -v '^$' | sort -u",
                Integer.toString(pattern), path).trim().equals(Integer.toString(pattern));
    }

    private String define(List<DiskSpec> disks, boolean tpm) {
        String name = "esm-rit-" + root.substring(root.lastIndexOf('/') + 1).replace("bed-", "") + "-"
                + (domains.size() + 1);
        String dir = folder(name);
        // One ssh connection: the folder, then every image.
        StringBuilder script = new StringBuilder("mkdir -p \"$1\"; chmod 0755 \"$1\"");
        List<String> args = new ArrayList<>(List.of(dir));
        StringBuilder xml = new StringBuilder("<domain type='qemu'><name>").append(name)
                .append("</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>")
                .append("<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>");
        for (DiskSpec d : disks) {
            String image = dir + "/" + d.fileName();
            int n = args.size();
            // ${N}, not $N: sh reads $10 as $1 followed by 0.
            script.append("; qemu-img create -q -f \"${").append(n + 1).append("}\" \"${").append(n + 2)
                    .append("}\" \"${").append(n + 3).append("}\"");
            args.addAll(List.of(d.format().id(), image, Long.toString(d.size())));
            xml.append("<disk type='file' device='").append(d.device()).append("'><driver name='qemu' type='")
                    .append(d.format().id()).append("'/><source file='").append(Xml.write(text(image)))
                    .append("'/><target dev='").append(d.target()).append("' bus='").append(Bed.busOf(d.target()))
                    .append("'/>").append(d.device().equals("cdrom") ? "<readonly/>" : "").append("</disk>");
        }
        if (tpm) {
            xml.append("<tpm model='tpm-tis'><backend type='emulator' version='2.0'/></tpm>");
        }
        xml.append("</devices></domain>");
        shell.script(script.toString(), args.toArray(String[]::new));
        host.defineDomain(xml.toString());
        domains.add(name);
        return name;
    }

    private static org.w3c.dom.Text text(String s) {
        return Xml.newDocument().createTextNode(s);
    }

    @Override
    public String folder(String domain) {
        return root + "/" + domain;
    }

    /** @return the active image of a disk, from the live or the persistent definition */
    public DiskImage active(String domain, String target, boolean live) {
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
            shell.writePattern(img.format().id(), img.path(), pattern, 0, LENGTH);
        }
    }

    /** Writes {@code bytes} of a pattern from offset 0 into a shut-off domain's active layer, on the host. */
    public void writeLarge(String domain, String target, int pattern, long bytes) {
        DiskImage img = active(domain, target, false);
        shell.writePattern(img.format().id(), img.path(), pattern, 0, bytes);
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
        return shell.readsPattern(image.format().id(), image.path(), pattern, 0, LENGTH);
    }

    /** @return the SHA-256 of a file on the host */
    @Override
    public String fileHash(String path) {
        return shell.run("sha256sum", path).trim().split("\\s+")[0];
    }

    /** Cuts a file on the host to 100 bytes. */
    @Override
    public void damage(String path) {
        shell.run("truncate", "-s", "100", path);
    }

    /**
     * Like {@link #newDomain}, with the RAM-pattern guest ({@link RamGuest}) written into the first disk's first
     * sector on the host (through ssh, as every data pattern of this bed).
     */
    @Override
    public String newBootableDomain(List<DiskSpec> disks) {
        String name = newDomain(disks);
        DiskImage first = active(name, disks.get(0).target(), false);
        String b64 = java.util.Base64.getEncoder().encodeToString(RamGuest.bootSector());
        shell.script("t=$(mktemp); trap 'rm -f \"$t\"' EXIT; echo \"$1\" | base64 -d > \"$t\";"
                + " qemu-io -f \"$2\" -c \"write -s $t 0 512\" \"$3\" >/dev/null",
                b64, first.format().id(), first.path());
        return name;
    }

    /** Through HMP over the remote connection: see {@link RamGuest}. */
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
        libvirtCall(domain, Domain::resume);
    }

    @Override
    public void pause(String domain) {
        libvirtCall(domain, Domain::suspend);
    }

    private interface DomainAction {
        void apply(Domain d) throws LibvirtException;
    }

    private void libvirtCall(String domain, DomainAction action) {
        Domain d = null;
        try {
            d = conn.domainLookupByName(domain);
            action.apply(d);
        } catch (LibvirtException e) {
            throw new IllegalStateException(domain + ": " + e.getMessage(), e);
        } finally {
            if (d != null) {
                try {
                    d.free();
                } catch (LibvirtException ignored) {
                    // freed anyway
                }
            }
        }
    }

    @Override
    public void start(String domain) {
        host.startDomain(domain);
    }

    @Override
    public void stop(String domain) {
        host.stopDomain(domain);
    }

    /** @return every regular file below a folder, as the host sees it */
    @Override
    public Set<String> files(String dir) {
        return shell.files(dir);
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
                d.undefine(LibvirtBed.UNDEFINE_ALL);
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
        LibvirtBed.dropTransientPoolsUnder(conn, root);
        for (String uuid : uuids) {
            LibvirtBed.dropTransientPoolsUnder(conn, "/var/lib/libvirt/swtpm/" + uuid); // the pool ESM made over a TPM's state folder
        }
        try {
            conn.close();
        } catch (LibvirtException ignored) {
            // closing anyway
        }
        host.close();
        synchronized (this) {
            if (manager != null) {
                manager.close();
            }
        }
        if (root.startsWith(ROOT + "/bed-")) {
            shell.removeTree(root);
        }
    }
}
