package dev.esm.libvirt.testbed;

import dev.esm.api.DiskImage;
import dev.esm.api.SnapshotManager;
import dev.esm.libvirt.LibvirtHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

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
public final class RemoteBed extends AbstractLibvirtBed {
    /** The images root on the host; hidden from the client. {@code ESM_RIT_ROOT}, else {@code /var/tmp/esm-rit}. */
    public static final String ROOT = System.getenv().getOrDefault("ESM_RIT_ROOT", "/var/tmp/esm-rit");

    private final String uri;
    private final RemoteShell shell;
    private SnapshotManager manager;

    public RemoteBed() {
        this(uri(), new RemoteShell());
    }

    public RemoteBed(String uri, RemoteShell shell) {
        this(uri, shell, hiddenRoot(shell));
    }

    private RemoteBed(String uri, RemoteShell shell, String root) {
        super(root, connect(uri, shell, root), new LibvirtHost(uri, dev.esm.api.ImageAccess.LIBVIRT_STORAGE));
        this.uri = uri;
        this.shell = shell;
    }

    /** Checks that the images are hidden here, then makes the bed's folder on the host (0755, for libvirt-qemu). */
    private static String hiddenRoot(RemoteShell shell) {
        checkHidden();
        return shell.mktempDir(ROOT, "bed-");
    }

    private static Connect connect(String uri, RemoteShell shell, String root) {
        try {
            return new Connect(uri, false);
        } catch (LibvirtException e) {
            shell.removeTree(root);
            throw new IllegalStateException("cannot open the remote libvirt test bed at " + uri
                    + " (start libvirtd and the test sshd: bash scripts/libvirt-up.sh && bash scripts/remote-up.sh): "
                    + e, e);
        }
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

    /** The manager under test, {@code SnapshotManager.connect(uri)}, opened on first use. */
    @Override
    public synchronized SnapshotManager manager() {
        if (manager == null) {
            manager = SnapshotManager.connect(uri);
        }
        return manager;
    }

    @Override
    public String newDomain(List<DiskSpec> disks) {
        return define(disks, false);
    }

    /** As {@link LibvirtBed#newTpmDomain}: a TPM 2.0 (swtpm) started once, so that libvirt made its state. */
    @Override
    public String newTpmDomain(List<DiskSpec> disks) {
        return withTpmState(this, define(disks, true), shell::exists);
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
        String name = nextDomainName("esm-rit-");
        String dir = folder(name);
        // One ssh connection: the folder, then every image.
        StringBuilder script = new StringBuilder("mkdir -p \"$1\"; chmod 0755 \"$1\"");
        List<String> args = new ArrayList<>(List.of(dir));
        StringBuilder xml = new StringBuilder(domainXmlHead(name, PLAIN_OS));
        for (DiskSpec d : disks) {
            String image = dir + "/" + d.fileName();
            int n = args.size();
            // ${N}, not $N: sh reads $10 as $1 followed by 0.
            script.append("; qemu-img create -q -f \"${").append(n + 1).append("}\" \"${").append(n + 2)
                    .append("}\" \"${").append(n + 3).append("}\"");
            args.addAll(List.of(d.format().id(), image, Long.toString(d.size())));
            xml.append(diskXml(d, image));
        }
        if (tpm) {
            xml.append("<tpm model='tpm-tis'><backend type='emulator' version='2.0'/></tpm>");
        }
        xml.append("</devices></domain>");
        shell.script(script.toString(), args.toArray(String[]::new));
        define(name, xml.toString());
        return name;
    }

    /** On the host. */
    @Override
    protected void writeImage(DiskImage image, int pattern, long bytes) {
        shell.writePattern(image.format().id(), image.path(), pattern, 0, bytes);
    }

    @Override
    protected void writeImageAt(DiskImage image, int pattern, long offset, long bytes) {
        shell.writePattern(image.format().id(), image.path(), pattern, offset, bytes);
    }

    @Override
    protected boolean imageReadsAt(DiskImage image, int pattern, long offset, long bytes) {
        return shell.readsPattern(image.format().id(), image.path(), pattern, offset, bytes);
    }

    @Override
    protected SnapshotManager.Builder managerBuilder() {
        return SnapshotManager.builder(uri).systemProperties();
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

    /** On the host, through ssh, as every data pattern of this bed. */
    @Override
    protected void writeBootSector(DiskImage image, byte[] sector) {
        String b64 = java.util.Base64.getEncoder().encodeToString(sector);
        shell.script("t=$(mktemp); trap 'rm -f \"$t\"' EXIT; echo \"$1\" | base64 -d > \"$t\";"
                + " qemu-io -f \"$2\" -c \"write -s $t 0 512\" \"$3\" >/dev/null",
                b64, image.format().id(), image.path());
    }

    /** @return every regular file below a folder, as the host sees it */
    @Override
    public Set<String> files(String dir) {
        return shell.files(dir);
    }

    /** The manager under test, if opened, then the bed's folder on the host. */
    @Override
    protected void closeRest() {
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
