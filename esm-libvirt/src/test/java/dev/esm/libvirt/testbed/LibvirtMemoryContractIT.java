package dev.esm.libvirt.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.Snapshot;
import dev.esm.core.contract.Bed;
import dev.esm.core.contract.MemoryContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/**
 * Memory snapshots against the real libvirtd (TCG): the guest is a boot sector that keeps a RAM area filled with
 * a byte the test sets, checked with HMP {@code xp}; disks by {@code qemu-io} patterns; memory files by SHA-256.
 */
class LibvirtMemoryContractIT extends MemoryContract {

    @Override
    protected Bed openBed() {
        return new LibvirtBed();
    }

    @Test
    void theMemoryFileIsOwnerOnlyAndTheSavedDefinitionNamesTheFrozenImages() throws Exception {
        running(A, A);
        Snapshot m = memorySnapshot("m1", A);
        Path file = Path.of(m.memoryFile().orElseThrow());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String saved = bed.host().savedDomainXml(file.toString());
        assertTrue(saved.contains(m.image("vda").orElseThrow().path()), "libvirt saved the frozen image's path; ESM"
                + " never restores with it as is");
    }
}
