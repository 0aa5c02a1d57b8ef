package dev.esm.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageAccess;
import dev.esm.api.ImageFormat;
import dev.esm.api.OperationListener;
import dev.esm.api.OverlayLayout;
import dev.esm.api.Replication;
import dev.esm.api.SnapshotManager;
import dev.esm.junit5.EsmDomain;
import dev.esm.junit5.EsmThrowawayDomain;
import dev.esm.junit5.ThrowawayDomain;
import dev.esm.test.EsmTest;
import dev.esm.test.InMemoryEsm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every Java sample of README.md and docs/, compiled against the real API: {@link DocsTest} checks that each
 * {@code java} code block of the documentation appears here, line for line (leading and trailing blanks aside), so a
 * sample that no longer compiles fails the build. Compiled only, never run (the samples need a libvirt daemon).
 */
@SuppressWarnings({"unused", "resource"})
final class DocSamples {
    private DocSamples() {
    }

    /** README: the first sample. */
    static void tour() {
        try (SnapshotManager esm = SnapshotManager.connect("qemu:///system")) {
            DomainSnapshots vm = esm.domain("web");
            vm.snapshot("pre-upgrade").description("before 2.0").create();   // offline or live, all disks at once
            vm.revert("pre-upgrade").stopIfRunning().execute();               // as often as you like: same content every time
            System.out.print(vm.chain().render());                            // base / +- pre-upgrade *
        }
    }

    /** README and the API page: the other commands. */
    static void tourContinued(DomainSnapshots vm) {
        System.out.print(vm.revert("pre-upgrade").stopIfRunning().plan().render());   // a dry run: the steps, nothing done
        vm.refresh().execute();                                      // discard what changed since the last create or revert
        vm.delete("s2").execute();                                   // s2's children now hang off s2's parent
        vm.commit("s1", "s4").progress(p -> System.out.println(p.disk() + " " + p.fraction())).execute(); // s1 stays
        vm.snapshot("ready").memory().create();                      // RAM and devices too, at the same instant
        vm.revert("ready").running().execute();                      // back to that instant, running
    }

    /** README and the remote hosts page. */
    static void remote() {
        try (SnapshotManager esm = SnapshotManager.connect("qemu+ssh://root@host7/system")) {   // ImageAccess.AUTO
            esm.domain("web").revert("clean").execute();   // no file of host7 is read or written from this machine
        }
    }

    /** README and the moving page: a standby, then a move. */
    static void travel() {
        try (SnapshotManager here = SnapshotManager.connect("qemu:///system");
             SnapshotManager there = SnapshotManager.connect("qemu+ssh://root@host2/system")) {
            // a standby on host2, kept in step: each run sends only what is new
            Replication sent = here.domain("web").replicateTo(there).execute();
            // later: move the domain there (only what the standby lacks travels)
            DomainSnapshots web = here.domain("web").moveTo(there).execute();
        }
    }

    /** The moving page: a live move. */
    static void liveMove(SnapshotManager here, SnapshotManager there) {
        DomainSnapshots web = here.domain("web").moveTo(there).live().migrationAddress("10.0.0.2").execute();
    }

    /** The API page: delete and commit. */
    static void deleteAndCommit(DomainSnapshots vm) {
        vm.delete("s2").execute();                                   // s2's children now hang off s2's parent
        vm.commit("s1", "s4").progress(p -> log(p.fraction())).execute(); // s2, s3, s4 go in one merge per disk; s1 stays
    }

    private static void log(double fraction) {
    }

    /** The memory page. */
    static void memory(DomainSnapshots vm) {
        vm.snapshot("ready").memory().create();     // running or paused domain: RAM, devices and every disk at one instant
        vm.revert("ready").running().execute();     // back to that instant, running (or .paused()), as often as you like
        vm.revert("ready").execute();               // the same snapshot's disks only, shut off (a cold revert)
    }

    /** The configuration page. */
    static SnapshotManager configured(OperationListener auditLog) {
        SnapshotManager esm = SnapshotManager.builder("qemu+ssh://root@host7/system")
                .imageAccess(ImageAccess.AUTO)            // LOCAL_FILES / LIBVIRT_STORAGE (default: by the URI)
                .stateDirectory(Path.of("/srv/esm"))      // journals and lock files when images are local (default /var/lib/esm)
                .hostStateDirectory("/var/lib/libvirt/esm") // journals and leases on the host, for the storage API
                .lockWait(Duration.ofSeconds(60))         // wait for another operation on the same domain
                .leaseTime(Duration.ofSeconds(30))        // a dead remote client's lease is taken over after this
                .blockJobStall(Duration.ofMinutes(10))    // a merge without progress this long is aborted
                .processTimeout(Duration.ofSeconds(120))  // qemu-img is killed after this
                .connections(4)                           // libvirt connections the domains are spread over
                .listener(auditLog)                       // an OperationListener: every operation and step
                .overlayLayout(OverlayLayout.SUBCLUSTERS) // or CLASSIC: how the overlays guests write into are laid out
                .maxChainDepth(16)                        // the most images a disk's chain may hold (4 to 200)
                .connect();
        return esm;
    }

    /** Code under test in the testing page's sample. */
    static final class LabManager {
        private final SnapshotManager esm;

        LabManager(SnapshotManager esm) {
            this.esm = esm;
        }

        void resetToClean(String domain) {
            esm.domain(domain).revert("clean").stopIfRunning().execute();
        }
    }

    /** The testing page: esm-test. */
    static void inMemory() {
        try (InMemoryEsm esm = EsmTest.inMemory()) {
            esm.defineDomain("web").disk("vda").disk("vdb", ImageFormat.RAW, 1 << 30).define();   // shut off, no snapshots
            esm.domain("web").snapshot("clean").create();
            esm.start("web");
            esm.write("web", "vda", 42);                  // the guest writes: a disk's content is one number (0: never written)
            new LabManager(esm).resetToClean("web");      // the code under test
            assertEquals(0, esm.read("web", "vda"));      // what the guest reads now
            assertEquals(List.of(), esm.violations());    // no frozen image was ever written
        }
    }

    /** The testing page: esm-junit5. */
    static final class JUnitSamples {
        private JUnitSamples() {
        }

        @EsmDomain(name = "web", revertTo = "clean", start = true)   // an existing domain and snapshot
        class WebServerTest {
            @Test
            void upgradeKeepsTheSite(DomainSnapshots web) {   // before each test: web reverted to "clean" (powered off first), started
                // your test
            }
        }

        @EsmThrowawayDomain(disks = 2, snapshot = "clean")   // a domain made before the class, removed (with its files) after it
        class SnapshotToolTest {
            @Test
            void takesASnapshot(DomainSnapshots vm, ThrowawayDomain lab) {   // before each test: reverted to "clean"
                vm.snapshot("mine").create();
            }
        }
    }
}
