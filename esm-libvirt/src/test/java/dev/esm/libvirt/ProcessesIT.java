package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.core.contract.Bed.DiskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.internal.connect.LibvirtFlags;
import dev.esm.libvirt.testbed.ChildOperation;
import dev.esm.libvirt.testbed.LibvirtBed;

/**
 * Several processes and killed processes on the real libvirtd: two JVMs on one domain serialise; a JVM killed
 * with SIGKILL in the middle of setup (a cross-file-system copy) or of a merge leaves a journal that the next
 * process recovers from, with every snapshot intact.
 */
class ProcessesIT {
    LibvirtBed bed;
    final Map<String, Map<String, Integer>> expected = new java.util.HashMap<>();

    @BeforeEach
    void open() {
        bed = new LibvirtBed();
    }

    @AfterEach
    void close() {
        bed.close();
    }

    /** Starts a child JVM as the leader of its own process group (so that a kill reaches its qemu-img too). */
    private static Process child(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("setsid", "java", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", ChildOperation.class.getName(), LibvirtBed.URI));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static void killGroup(Process p) throws Exception {
        new ProcessBuilder("kill", "-9", "--", "-" + p.pid()).start().waitFor();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void aBlockJobLeftByAStoppedProcessIsAbortedBeforeTheMergeRunsAgain() throws Exception {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.write(dom, "vda", 0x41);
        d.snapshot("s1").create();
        bed.write(dom, "vda", 0x42);
        d.snapshot("s2").create();
        bed.start(dom);
        try {
            bed.write(dom, "vda", 0x43);
            // What a process killed between an active commit's start and its pivot leaves: a job waiting, ready.
            org.libvirt.Connect c = new org.libvirt.Connect(LibvirtBed.URI, false);
            org.libvirt.Domain x = c.domainLookupByName(dom);
            x.blockCommit("vda", d.chain().get("s2").images().get(0).path(), null, 0, LibvirtFlags.BLOCK_COMMIT_ACTIVE);
            x.free();
            c.close();
            d.delete("s2").execute();
            assertTrue(bed.reads(dom, "vda", 0x43), "the current state is unchanged");
            assertTrue(d.verify().isEmpty(), d.verify().toString());
            assertTrue(bed.imageReads(d.chain().get("s1").images().get(0), 0x41));
        } finally {
            if (d.state().isActive()) {
                bed.stop(dom);
            }
        }
    }

    @Test
    void aProcessKilledDuringARevertToRunningLeavesTheDomainRunningInTheSnapshotsStateAfterRecovery()
            throws Exception {
        String dom = bed.newBootableDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.start(dom);
        bed.writeMemory(dom, 0x41);
        bed.write(dom, "vda", 0x41);
        Snapshot m = d.snapshot("m1").memory().create();
        String hash = bed.fileHash(m.memoryFile().orElseThrow());
        bed.writeMemory(dom, 0x42);
        bed.write(dom, "vda", 0x42);
        Process p = child(dom, "revert-running", "m1");
        // Killed once the old run is gone: somewhere between the new definition and the restore.
        long deadline = System.currentTimeMillis() + 60_000;
        while (p.isAlive() && bed.host().state(dom).isActive() && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(p.isAlive(), "the revert was still running when killed");
        killGroup(p);
        d = bed.manager().domain(dom); // opening recovers an unfinished revert: it completes it
        assertTrue(d.verify().isEmpty(), d.verify().toString());
        assertEquals(dev.esm.api.DomainState.RUNNING, d.state());
        assertTrue(bed.memoryReads(dom, 0x41), "the snapshot's RAM");
        assertTrue(bed.reads(dom, "vda", 0x41), "the snapshot's disk");
        assertEquals(hash, bed.fileHash(m.memoryFile().orElseThrow()), "the memory file is unchanged");
        assertTrue(bed.imageReads(m.image("vda").orElseThrow(), 0x41), "the frozen image is unchanged");
    }

    @Test
    void twoProcessesCreatingSnapshotsOnOneDomainSerialiseAndBothSucceed() throws Exception {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        bed.manager().domain(dom).setup(bed.folder(dom) + "/esm").execute();
        Process a = child(dom, "create", "from-a");
        Process b = child(dom, "create", "from-b");
        assertTrue(a.waitFor(60, TimeUnit.SECONDS) && b.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, a.exitValue());
        assertEquals(0, b.exitValue());
        DomainSnapshots d = bed.manager().domain(dom);
        Set<String> names = new TreeSet<>(d.chain().snapshots().stream().map(Snapshot::name).toList());
        assertEquals(Set.of("from-a", "from-b"), names);
        assertTrue(d.verify().isEmpty(), d.verify().toString());
    }

    @Test
    void aProcessKilledDuringSetupsCopyLeavesADomainThatRecovers() throws Exception {
        // The image lives on tmpfs (/dev/shm), the disks folder on /var/tmp: setup must copy, not link.
        Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "esm-it-");
        Files.setPosixFilePermissions(shm, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2").size(2L << 30)));
            String original = shm.resolve("disk.qcow2").toString();
            Files.move(Path.of(bed.folder(dom), "disk.qcow2"), Path.of(original));
            bed.host().defineDomain(bed.host().domainXml(dom, false).replace(bed.folder(dom) + "/disk.qcow2", original));
            LibvirtBed.run(List.of("qemu-io", "-f", "qcow2", "-c", "write -P 0x41 0 64k", "-c",
                    "write -P 0x61 1M 900M", original));
            long size = Files.size(Path.of(original));
            Process p = child(dom, "setup", bed.folder(dom) + "/esm");
            Path copy = Path.of(bed.folder(dom), "esm", "disks", "disk.base");
            long deadline = System.currentTimeMillis() + 30_000;
            while (!(Files.exists(copy) && Files.size(copy) > 0) && System.currentTimeMillis() < deadline && p.isAlive()) {
                Thread.sleep(5);
            }
            assertTrue(p.isAlive(), "the copy of " + size + " bytes was still running when killed");
            killGroup(p);
            assertTrue(Files.exists(Path.of(original)), "the original is never lost");
            DomainSnapshots d = bed.manager().domain(dom); // opening recovers: only files had been made, so undone
            assertTrue(d.verify().isEmpty(), d.verify().toString());
            assertTrue(d.chain().base().isEmpty(), "setup was undone");
            assertEquals(original, d.disks().get(0).source().orElseThrow());
            assertTrue(!Files.exists(copy), "the partial copy is gone");
            bed.start(dom);
            bed.stop(dom);
            d.setup(bed.folder(dom) + "/esm").execute();
            assertTrue(bed.reads(dom, "vda", 0x41));
        } finally {
            LibvirtBed.run(List.of("rm", "-rf", shm.toString()));
        }
    }

    /** @return a set-up domain where s1 holds 0x41, s2 0x42 over 1.5 GiB and the current state 0x43 */
    private String domainWithALargeMerge() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "big.qcow2").size(2L << 30)));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.write(dom, "vda", 0x41);
        d.snapshot("s1").create();
        bed.writeLarge(dom, "vda", 0x42, 1500L << 20);
        d.snapshot("s2").create();
        bed.write(dom, "vda", 0x43);
        return dom;
    }

    @Test
    void aProcessKilledDuringAMergeLeavesEverySnapshotIntactAfterRecovery() throws Exception {
        String dom = domainWithALargeMerge();
        Process p = child(dom, "delete", "s1"); // merges s2's 1.5 GiB into s1's image
        String journal = Path.of("/var/lib/esm").toString();
        long deadline = System.currentTimeMillis() + 30_000;
        boolean merging = false;
        while (!merging && System.currentTimeMillis() < deadline && p.isAlive()) {
            merging = new ProcessBuilder("pgrep", "-f", "qemu-img commit").start().waitFor() == 0;
            Thread.sleep(5);
        }
        assertTrue(merging && p.isAlive(), "killed while qemu-img was merging");
        Thread.sleep(100);
        killGroup(p);
        DomainSnapshots after = bed.manager().domain(dom); // opening recovers from the journal
        assertTrue(after.verify().isEmpty(), after.verify().toString() + " (state folder " + journal + ")");
        assertTrue(after.chain().find("s2").isPresent());
        assertTrue(bed.imageReads(after.chain().get("s2").images().get(0), 0x42));
        assertTrue(bed.reads(dom, "vda", 0x43), "the current state is unchanged");
        after.revert("s2").execute();
        assertTrue(bed.reads(dom, "vda", 0x42));
    }

    /**
     * Only the JVM is killed (SIGKILL to its pid, not its process group): its qemu-img child dies with it (started
     * through setpriv --pdeathsig KILL), so no process keeps the image's write lock, and recovery redoes the merge
     * instead of abandoning it.
     */
    @Test
    void aJvmKilledDuringAMergeTakesItsQemuImgWithItAndRecoveryRedoesTheMerge() throws Exception {
        String dom = domainWithALargeMerge();
        Process p = child(dom, "delete", "s1"); // merges s2's 1.5 GiB into s1's image
        long deadline = System.currentTimeMillis() + 30_000;
        Optional<ProcessHandle> qemuImg = Optional.empty();
        while (qemuImg.isEmpty() && System.currentTimeMillis() < deadline && p.isAlive()) {
            qemuImg = p.descendants().filter(h -> h.info().commandLine().orElse("").contains("qemu-img commit"))
                    .findFirst();
            Thread.sleep(5);
        }
        assertTrue(qemuImg.isPresent() && p.isAlive(), "killed while qemu-img was merging");
        Thread.sleep(100);
        new ProcessBuilder("kill", "-9", Long.toString(p.pid())).start().waitFor(); // the JVM only
        p.waitFor(10, TimeUnit.SECONDS);
        ProcessHandle child = qemuImg.get();
        long gone = System.nanoTime();
        assertTrue(child.onExit().get(5, TimeUnit.SECONDS) != null && !child.isAlive(),
                "qemu-img ended with the JVM that started it");
        System.out.printf("qemu-img ended %d ms after its JVM was killed%n", (System.nanoTime() - gone) / 1_000_000);
        DomainSnapshots after = bed.manager().domain(dom); // opening recovers from the journal
        assertTrue(after.lastRecovery().isPresent() && after.lastRecovery().get().completed(),
                after.lastRecovery().toString());
        assertTrue(after.verify().isEmpty(), after.verify().toString());
        assertTrue(after.chain().find("s1").isEmpty(), "the delete was completed: s1 is gone");
        assertTrue(after.chain().find("s2").isPresent());
        assertTrue(bed.imageReads(after.chain().get("s2").images().get(0), 0x42));
        assertTrue(bed.reads(dom, "vda", 0x43), "the current state is unchanged");
        after.revert("s2").execute();
        assertTrue(bed.reads(dom, "vda", 0x42));
    }
}
