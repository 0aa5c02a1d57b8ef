package dev.esm.core.contract;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.SnapshotManager;
import dev.esm.core.port.Host;
import java.util.List;
import java.util.Set;

/**
 * A test bed for the snapshot contract: a host with throwaway domains, and ways to write and read data
 * patterns in their disks. Implemented over the in-memory fake and over the real libvirtd.
 */
public interface Bed extends AutoCloseable {

    /** One disk of a test domain. */
    record DiskSpec(String target, String device, ImageFormat format, String fileName, long size) {
        public static DiskSpec qcow2(String target, String fileName) {
            return new DiskSpec(target, "disk", ImageFormat.QCOW2, fileName, 16L << 20);
        }

        public static DiskSpec raw(String target, String fileName) {
            return new DiskSpec(target, "disk", ImageFormat.RAW, fileName, 16L << 20);
        }

        public static DiskSpec cdrom(String target, String fileName) {
            return new DiskSpec(target, "cdrom", ImageFormat.RAW, fileName, 1L << 20);
        }

        /** @return this disk with another virtual size */
        public DiskSpec size(long bytes) {
            return new DiskSpec(target, device, format, fileName, bytes);
        }
    }

    /** @return the bus libvirt expects for a target name: vd* virtio, hd* ide, sd* scsi */
    static String busOf(String target) {
        return target.startsWith("vd") ? "virtio" : target.startsWith("hd") ? "ide" : "scsi";
    }

    /** @return the manager under test */
    SnapshotManager manager();

    /** @return the port, to inspect libvirt's metadata and files directly */
    Host host();

    /** Defines a new shut-off domain whose images live in a fresh folder; returns its name. */
    String newDomain(List<DiskSpec> disks);

    /** @return the folder holding a test domain's original images */
    String folder(String domain);

    /** Writes a pattern into the disk's active layer (through QEMU when the domain runs). */
    void write(String domain, String target, int pattern);

    /** @return whether the disk, as the domain sees it now, holds the pattern */
    boolean reads(String domain, String target, int pattern);

    /** @return whether an image, read through its backing chain, holds the pattern */
    boolean imageReads(DiskImage image, int pattern);

    /** The size of the blocks {@link #writeBlock} writes: 64 KiB. */
    int BLOCK = 64 * 1024;

    /**
     * Writes a pattern into one block of a disk (running: through QEMU; shut off: into its active layer), leaving the
     * rest of the disk as it was. Block 0 is where {@link #write} writes.
     */
    default void writeBlock(String domain, String target, int block, int pattern) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot write single blocks");
    }

    /** @return whether one block of a disk reads the pattern (running: through QEMU) */
    default boolean readsBlock(String domain, String target, int block, int pattern) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot read single blocks");
    }

    /** @return whether one block of an image, read through its backing chain, holds the pattern */
    default boolean imageReadsBlock(DiskImage image, int block, int pattern) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot read single blocks");
    }

    /**
     * @param settings changes to the settings of the manager under test (e.g. {@code b -> b.maxChainDepth(6)})
     * @return a new manager on the bed's host with those settings, closed with the bed
     */
    default SnapshotManager manager(java.util.function.UnaryOperator<SnapshotManager.Builder> settings) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot make managers of its own");
    }

    // The memory-snapshot operations below have defaults that refuse, so that beds written before them still
    // compile; MemoryContract needs them all.

    /**
     * Defines a new shut-off domain, like {@link #newDomain}, whose guest can hold a RAM pattern once started
     * ({@link #writeMemory}); on a real hypervisor its first disk boots a tiny guest for that.
     */
    default String newBootableDomain(List<DiskSpec> disks) {
        return newDomain(disks);
    }

    /** @return a new shut-off domain with UEFI firmware whose variables file (VARS) exists */
    default String newFirmwareDomain(List<DiskSpec> disks) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no firmware domains");
    }

    /** @return the domain's firmware variables file */
    default String firmwareFile(String domain) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no firmware domains");
    }

    /** Writes a pattern into the first 512 bytes of a shut-off domain's firmware variables file. */
    default void writeFirmware(String domain, int pattern) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no firmware domains");
    }

    /** @return whether the first 512 bytes of the file hold the pattern */
    default boolean fileReads(String path, int pattern) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no firmware domains");
    }

    /**
     * @return a new shut-off domain with an emulated TPM 2.0 ({@code <tpm><backend type='emulator'>}) whose state
     *         file exists (on a real hypervisor: started once, so that libvirt's swtpm_setup made it)
     */
    default String newTpmDomain(List<DiskSpec> disks) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no TPM domains");
    }

    /** @return the persistent state file of the domain's emulated TPM */
    default String tpmStateFile(String domain) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no TPM domains");
    }

    /**
     * Writes a pattern into the first 512 bytes of a shut-off domain's TPM state file, in place (its owner and mode
     * unchanged); swtpm refuses a state changed so (it checks the state's integrity).
     */
    default void writeTpmState(String domain, int pattern) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no TPM domains");
    }

    /** Makes a file longer: 4 KiB of the pattern after its end (on the fake: a block of it after its first). */
    default void growFile(String path, int pattern) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot grow files");
    }

    /** @return a fingerprint of a file's whole content (e.g. SHA-256) */
    default String fileHash(String path) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot hash files");
    }

    /** Damages a file as a truncation would (for the bad-input cases of memory files). */
    default void damage(String path) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot damage files");
    }

    /** Writes a pattern into a running domain's RAM (as its guest would). */
    default void writeMemory(String domain, int pattern) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no RAM-pattern guest");
    }

    /** @return whether a running or paused domain's RAM holds the pattern */
    default boolean memoryReads(String domain, int pattern) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no RAM-pattern guest");
    }

    /** Lets a paused domain run. */
    default void resume(String domain) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot resume domains");
    }

    /** Pauses a running domain. */
    default void pause(String domain) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot pause domains");
    }

    void start(String domain);

    void stop(String domain);

    /** @return every regular file below a folder */
    Set<String> files(String dir);

    @Override
    void close();
}
