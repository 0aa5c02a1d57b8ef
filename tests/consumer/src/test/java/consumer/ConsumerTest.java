package consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;

/** Takes a snapshot through ESM's API, with nothing but the installed artifacts on the class path. */
class ConsumerTest {
    @Test
    void aSnapshotCanBeTakenThroughTheInstalledArtifacts() throws Exception {
        String uri = System.getenv().getOrDefault("ESM_TEST_URI", "qemu:///system");
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "esm-consumer-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path disk = dir.resolve("disk.qcow2");
        Process p = new ProcessBuilder("qemu-img", "create", "-q", "-f", "qcow2", disk.toString(), "16M").inheritIO().start();
        assertEquals(0, p.waitFor());
        String name = dir.getFileName().toString();
        Connect conn = new Connect(uri, false);  // only to define and remove the test's own domain
        try {
            conn.domainDefineXML("<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>64</memory>"
                    + "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices><disk type='file' device='disk'>"
                    + "<driver name='qemu' type='qcow2'/><source file='" + disk + "'/><target dev='vda' bus='virtio'/>"
                    + "</disk></devices></domain>").free();
            try (SnapshotManager esm = SnapshotManager.connect(uri)) {
                DomainSnapshots vm = esm.domain(name);
                vm.snapshot("from-a-consumer").create();
                assertEquals("from-a-consumer", vm.chain().current().orElseThrow().name());
            }
        } finally {
            var d = conn.domainLookupByName(name);
            d.undefine(2);
            d.free();
            conn.close();
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
