package dev.esm.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotManager;
import dev.esm.junit5.RamFiller;
import dev.esm.junit5.ThrowawayDomain;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Memory snapshots proven by content with a guest that really fills its RAM ({@link RamFiller}, 256 MiB, on the real
 * libvirtd): after every revert to running or paused, the whole RAM from 1 MiB to the top equals the pattern it held
 * at the snapshot, word for word (QEMU's {@code pmemsave} of it, compared with the pattern computed here), not the
 * pattern written since; the disk reads the snapshot's data; the memory file and the frozen image keep their SHA-256.
 * The memory file is about the size of the RAM (QEMU leaves zero pages out, so this shows the RAM was in use).
 *
 * <p>Here rather than with the memory contract in esm-libvirt: the guest lives in esm-junit5 (the lab domain the
 * benchmark uses too), which depends on esm-libvirt, so esm-libvirt's tests cannot use it.
 */
class RamContentIT {
    static final String URI = System.getenv().getOrDefault("ESM_TEST_URI", "qemu:///system");
    static final int MIB = 256;
    static final int A = 0x41;
    ThrowawayDomain lab;
    SnapshotManager esm;
    DomainSnapshots vm;

    @BeforeEach
    void lab() throws Exception {
        lab = ThrowawayDomain.withRamFiller(URI, "esm-ram", MIB);
        esm = SnapshotManager.connect(URI);
        vm = esm.domain(lab.name());
        vm.setup(lab.folder() + "/esm").execute();
    }

    @AfterEach
    void cleanUp() {
        esm.close();
        lab.close();
    }

    @Test
    void everyRevertBringsBackTheWholeRamTheDiskAndNeverChangesTheMemoryFile() throws Exception {
        lab.start();
        lab.fillRam(A);
        disk("write -P 0x41 1M 256k");
        Snapshot m = vm.snapshot("m1").memory().create();
        Path file = Path.of(m.memoryFile().orElseThrow());
        long size = Files.size(file);
        assertTrue(size > (MIB - 8L) << 20, "the memory file holds the filled RAM: " + size + " bytes");
        String fileHash = sha256(file);
        Path frozen = Path.of(m.image("hda").orElseThrow().path());
        String frozenHash = sha256(frozen);
        assertWholeRam(A, "at the snapshot");
        for (int round = 0; round < 3; round++) {
            int later = 0x50 + round;
            lab.fillRam(later);
            disk(String.format("write -P 0x%02x 1M 256k", later));
            assertFalse(lab.ramDiffers(later, 16).isPresent(), "the guest wrote pattern " + later);
            boolean paused = round == 1;
            if (paused) {
                vm.revert("m1").paused().execute();
                assertEquals(DomainState.PAUSED, vm.state());
            } else {
                vm.revert("m1").running().execute();
                assertEquals(DomainState.RUNNING, vm.state());
            }
            String when = "after revert " + round + (paused ? " (paused)" : "");
            assertEquals(Optional.empty(), lab.ramDiffers(A, 256), when);
            assertWholeRam(A, when);
            assertTrue(diskReads(A), when + ": the disk reads the snapshot's data");
            if (paused) {
                lab.resume();
            }
            assertEquals(fileHash, sha256(file), "the memory file is never modified, " + when);
            assertEquals(frozenHash, sha256(frozen), "the frozen image is never written, " + when);
        }
        assertTrue(vm.verify().isEmpty(), vm.verify().toString());
    }

    /** QEMU writes the RAM above 1 MiB to a file; every word must be {@code seed}'s. */
    private void assertWholeRam(int seed, String when) throws IOException {
        Path dir = lab.folder().resolve("dump");
        if (!Files.isDirectory(dir)) {
            Files.createDirectory(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx")); // QEMU's user writes it
        }
        Path dump = dir.resolve("ram");
        Files.deleteIfExists(dump);
        long top = RamFiller.top(lab.memory());
        // Relative to QEMU's working folder, "/" under libvirtd: HMP reads "SIZE /var/..." as a division.
        String out = lab.monitor("pmemsave " + RamFiller.FROM + " " + (top - RamFiller.FROM) + " "
                + dump.toString().substring(1));
        assertTrue(out.isBlank(), "pmemsave: " + out);
        assertEquals(top - RamFiller.FROM, Files.size(dump));
        try (FileChannel ch = FileChannel.open(dump)) {
            IntBuffer words = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN)
                    .asIntBuffer();
            for (int i = 0; i < words.limit(); i++) {
                long a = RamFiller.FROM + 4L * i;
                if (words.get(i) != RamFiller.word(a, seed)) {
                    throw new AssertionError(String.format("%s: RAM at 0x%x holds 0x%08x, not seed 0x%02x's 0x%08x",
                            when, a, words.get(i), seed, RamFiller.word(a, seed)));
                }
            }
        }
        Files.delete(dump);
    }

    /** The disk's device, as HMP qemu-io names it: libvirt's alias of the IDE disk hda. */
    private static final String DISK = "ide0-0-0";

    private void disk(String command) {
        String out = lab.monitor("qemu-io -d " + DISK + " \"" + command + "\"");
        assertFalse(out.contains("error") || out.contains("failed"), out);
    }

    private boolean diskReads(int pattern) {
        String out = lab.monitor("qemu-io -d " + DISK + " \"read -P 0x" + Integer.toHexString(pattern)
                + " 1M 256k\"");
        return !out.contains("verification failed") && !out.toLowerCase().contains("error");
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
