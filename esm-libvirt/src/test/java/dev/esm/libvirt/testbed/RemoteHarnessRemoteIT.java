package dev.esm.libvirt.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.core.contract.Bed.DiskSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * The remote test harness itself (issue 9, item 4): the client reaches libvirtd only through {@code qemu+ssh://}
 * to the run's sshd, and cannot see the images, which the host (and the daemon) still see.
 */
class RemoteHarnessRemoteIT {
    private static RemoteBed bed;

    @BeforeAll
    static void open() {
        bed = new RemoteBed();
    }

    @AfterAll
    static void close() {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void theClientReachesLibvirtdOnlyThroughSsh() throws Exception {
        String uri = bed.uriOfBed();
        assertTrue(uri.startsWith("qemu+ssh://root@127.0.0.1:2222/system"), uri);
        Connect c = new Connect(uri, true);
        try {
            assertTrue(c.getLibVersion() > 0, "the daemon answers over ssh");
        } finally {
            c.close();
        }
        assertThrows(LibvirtException.class, () -> new Connect("qemu:///system", true).close(),
                "the local daemon's sockets are hidden from the client");
    }

    @Test
    void theClientSeesNoImagesWhileTheHostDoes() throws IOException {
        String domain = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk0.qcow2"), DiskSpec.raw("vdb", "disk1.raw")));
        String folder = bed.folder(domain);

        Set<String> onHost = bed.files(folder);
        assertEquals(Set.of(folder + "/disk0.qcow2", folder + "/disk1.raw"), onHost, "the host sees the images");

        Path root = Path.of(RemoteBed.ROOT);
        try (Stream<Path> s = Files.list(root)) {
            assertEquals(List.of(), s.toList(), "the client sees an empty images root");
        }
        assertEquals("tmpfs", Files.getFileStore(root).type());
        assertFalse(Files.exists(Path.of(folder)), "the bed's folder is invisible to the client");
        assertFalse(Files.exists(Path.of(folder, "disk0.qcow2")), "an image is invisible to the client");
        assertTrue(bed.shell().exists(folder + "/disk0.qcow2"));
    }

    /** What a child JVM of a test sees: the entries of the images root and of /run/libvirt, then the ssh config. */
    public static final class ChildProbe {
        public static void main(String[] args) throws IOException {
            try (Stream<Path> images = Files.list(Path.of(RemoteBed.ROOT));
                    Stream<Path> sockets = Files.list(Path.of("/run/libvirt"))) {
                System.out.println(images.count() + " " + sockets.count() + " "
                        + Files.isRegularFile(Path.of("/root/.ssh/config")));
            }
        }
    }

    @Test
    void aChildJvmOfATestInheritsTheHiddenView() throws Exception {
        String domain = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk0.qcow2")));
        assertTrue(bed.shell().exists(bed.folder(domain) + "/disk0.qcow2"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), ChildProbe.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        assertEquals(0, p.exitValue(), out);
        assertEquals("0 0 true", out.trim(), "no images, no local libvirt sockets, the run's ssh config");
    }

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void isolatedClientsShareNoClientStateWithEachOtherOrTheHost() throws Exception {
        String first = run(IsolatedClient.wrap(List.of("sh", "-c",
                "touch /var/lib/esm/first-client && ls -A /var/lib/esm && ls -A /var/tmp/esm-rit | wc -l")));
        assertEquals("first-client\n0", first.trim(), "a client sees its own state and no images");
        String second = run(IsolatedClient.wrap(List.of("ls", "-A", "/var/lib/esm")));
        assertEquals("", second.trim(), "another client does not see the first one's state");
        assertFalse(Files.exists(Path.of("/var/lib/esm/first-client")), "nor does the test's own client");
        assertFalse(bed.shell().exists("/var/lib/esm/first-client"), "nor the host");
    }

    @Test
    void theClientCannotLeaveFilesInTheHiddenRoot() {
        Path probe = Path.of(RemoteBed.ROOT, "client-was-here");
        assertThrows(IOException.class, () -> Files.createDirectory(probe),
                "the hidden root is read-only: a client writing there fails instead of writing beside the host");
    }

    @Test
    void aDomainDefinedOverSshIsListedOverTheSameUri() throws Exception {
        String domain = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk0.qcow2")));
        Connect c = new Connect(bed.uriOfBed(), true);
        try {
            assertTrue(List.of(c.listDefinedDomains()).contains(domain), "defined and shut off: " + domain);
        } finally {
            c.close();
        }
        assertTrue(bed.host().domainXml(domain, false).contains(bed.folder(domain) + "/disk0.qcow2"));
    }

    @Test
    void virshListsTheDomainOverSshFromInsideTheNamespace() throws Exception {
        String domain = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk0.qcow2")));
        Process p = new ProcessBuilder("virsh", "-c", bed.uriOfBed(), "list", "--all", "--name")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.lines().anyMatch(domain::equals), "virsh lists " + domain + ":\n" + out);
    }

    @Test
    void aPatternWrittenThroughQemuIsReadOnTheHostAfterTheDomainStops() {
        String domain = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk0.qcow2")));
        bed.write(domain, "vda", 0x11);
        assertTrue(bed.reads(domain, "vda", 0x11), "written on the host while shut off");

        bed.start(domain);
        try {
            bed.write(domain, "vda", 0x5a);
            assertTrue(bed.reads(domain, "vda", 0x5a), "QEMU reads what HMP qemu-io wrote");
        } finally {
            bed.stop(domain);
        }

        DiskImage image = bed.active(domain, "vda", false);
        assertEquals(bed.folder(domain) + "/disk0.qcow2", image.path());
        assertFalse(Files.exists(Path.of(image.path())), "the client cannot read the image itself");
        assertTrue(bed.imageReads(image, 0x5a), "the host reads the pattern QEMU wrote");
        assertFalse(bed.imageReads(image, 0x11), "and not the one it overwrote");
    }
}
