package dev.esm.test;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageFormat;
import dev.esm.api.SnapshotManager;
import dev.esm.core.engine.CoreSnapshotManager;
import dev.esm.core.fake.FakeHost;
import dev.esm.core.fake.FakeStorage;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.Xml;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * ESM on an in-memory host: a {@link SnapshotManager} (hand it to the code under test) plus what a test needs around
 * it, namely defining domains, starting and stopping them, and writing and reading their disks as the guest would.
 * ESM's engine is the real one; only libvirt and the files are simulated (by {@link FakeHost} and
 * {@link FakeStorage}, with libvirt's rules for snapshot metadata and QEMU's for backing chains).
 *
 * <p>A disk's content is simulated as one number, the pattern in its first block: {@link #write} puts one there,
 * {@link #read} reads it through the disk's backing chain (0 where nothing was written). Images live under
 * {@code /vms/<domain>/}, ESM's state under {@code /fake-state}; {@link #files()} lists them all. Thread-safe, as
 * {@link SnapshotManager} is. The host's state lives as long as this object; {@link #close()} closes the manager.
 */
public final class InMemoryEsm implements SnapshotManager {
    private final FakeStorage storage = new FakeStorage();
    private final FakeHost host;
    private final CoreSnapshotManager manager;

    InMemoryEsm(Clock clock) {
        this.host = new FakeHost(storage, clock);
        this.manager = new CoreSnapshotManager(host, clock, (plan, index, step) -> { });
    }

    /** @return {@code fake:///memory} */
    @Override
    public String uri() {
        return manager.uri();
    }

    @Override
    public DomainSnapshots domain(String name) {
        return manager.domain(name);
    }

    @Override
    public void close() {
        manager.close();
    }

    /**
     * Starts defining a domain, shut off, with no snapshots.
     *
     * @param name the domain's name
     * @return a builder; add disks, then {@link DomainBuilder#define()}
     */
    public DomainBuilder defineDomain(String name) {
        return new DomainBuilder(Objects.requireNonNull(name, "name"));
    }

    /** Starts a shut-off domain, as {@code virsh start} would. */
    public void start(String domain) {
        host.startDomain(domain);
    }

    /** Powers a running domain off, as {@code virsh destroy} would. */
    public void stop(String domain) {
        host.stopDomain(domain);
    }

    /** Removes a domain and its snapshot metadata (its images stay), as {@code virsh undefine --snapshots-metadata}. */
    public void undefine(String domain) {
        host.undefine(domain);
    }

    /**
     * Writes a pattern into a disk, as the guest would: into the disk's active image.
     *
     * @param domain the domain
     * @param disk the disk's target ({@code vda})
     * @param pattern any number but 0, which stands for "never written"
     */
    public void write(String domain, String disk, int pattern) {
        storage.write(active(domain, disk), 0, pattern);
    }

    /** @return what the guest reads from a disk: the last pattern written, through its backing chain; 0 if none */
    public int read(String domain, String disk) {
        return storage.read(active(domain, disk), 0);
    }

    private String active(String domain, String disk) {
        return DomainXml.parse(host.domainXml(domain, true)).disk(disk).flatMap(d -> d.image())
                .map(DiskImage::path)
                .orElseThrow(() -> new IllegalArgumentException("domain '" + domain + "' has no disk '" + disk + "'"));
    }

    /** @return every file on the host: images, memory files, journals */
    public List<String> files() {
        return new ArrayList<>(storage.files());
    }

    /**
     * @return every write into an image that backed another image seen so far (a breach of ESM's promise that a
     *         frozen image is never written); empty unless something is wrong
     */
    public List<String> violations() {
        return storage.violations();
    }

    /** @return the simulated libvirt, for what this class does not offer (the guest's RAM, raw metadata) */
    public FakeHost host() {
        return host;
    }

    /** @return the simulated files */
    public FakeStorage storage() {
        return storage;
    }

    /** Defines a domain on the in-memory host. Not thread-safe; use once. */
    public final class DomainBuilder {
        private final String name;
        private final StringBuilder devices = new StringBuilder();
        private final List<Runnable> images = new ArrayList<>();
        private String folder;

        private DomainBuilder(String name) {
            this.name = name;
            this.folder = "/vms/" + name;
        }

        /** Puts the domain's images in another folder than {@code /vms/<name>}. */
        public DomainBuilder folder(String path) {
            this.folder = Objects.requireNonNull(path, "path");
            return this;
        }

        /** Adds a 1 GiB qcow2 disk, file {@code <target>.qcow2}. */
        public DomainBuilder disk(String target) {
            return disk(target, ImageFormat.QCOW2, 1L << 30);
        }

        /**
         * Adds a disk, all zeros.
         *
         * @param target its target ({@code vda}; {@code vd*} are virtio, {@code sd*} SCSI, {@code hd*} IDE)
         * @param format qcow2 or raw
         * @param size its size in bytes
         */
        public DomainBuilder disk(String target, ImageFormat format, long size) {
            String file = target + (format == ImageFormat.QCOW2 ? ".qcow2" : ".img");
            images.add(() -> storage.addImage(folder + "/" + file, format, size));
            devices.append("<disk type='file' device='disk'><driver name='qemu' type='").append(format.id())
                    .append("'/><source file='").append(Xml.escape(folder + "/" + file)).append("'/><target dev='")
                    .append(Xml.escape(target)).append("' bus='").append(bus(target)).append("'/></disk>");
            return this;
        }

        /** Adds a read-only CD-ROM drive with an ISO image, which ESM leaves alone. */
        public DomainBuilder cdrom(String target) {
            String file = target + ".iso";
            images.add(() -> storage.addImage(folder + "/" + file, ImageFormat.RAW, 1L << 20));
            devices.append("<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='")
                    .append(Xml.escape(folder + "/" + file)).append("'/><target dev='").append(Xml.escape(target))
                    .append("' bus='").append(bus(target)).append("'/><readonly/></disk>");
            return this;
        }

        private String bus(String target) {
            return target.startsWith("vd") ? "virtio" : target.startsWith("hd") ? "ide" : "scsi";
        }

        /** Makes the images and defines the domain. @return the domain, opened through ESM */
        public DomainSnapshots define() {
            storage.makeDirectory(folder);
            images.forEach(Runnable::run);
            String uuid = UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
            host.defineDomain("<domain type='qemu'><name>" + Xml.escape(name) + "</name><uuid>" + uuid
                    + "</uuid><memory unit='MiB'>64</memory><devices>" + devices + "</devices></domain>");
            return manager.domain(name);
        }
    }
}
