package dev.esm.core.contract;

import dev.esm.api.DiskImage;
import dev.esm.api.SnapshotManager;
import dev.esm.core.engine.CoreSnapshotManager;
import dev.esm.core.fake.FakeHost;
import dev.esm.core.fake.FakeStorage;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.xml.DomainXml;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The contract's bed over the in-memory fake host. */
public final class FakeBed implements Bed {
    private final FakeStorage storage = new FakeStorage();
    private final FakeHost host;
    private CoreSnapshotManager manager;

    /** A bed on the fake host {@code fake:///memory}. */
    public FakeBed() {
        this("fake:///memory");
    }

    /** A bed on a fake host of its own known by {@code uri} (one of two hosts a move goes between). */
    public FakeBed(String uri) {
        this.host = new FakeHost(storage, Clock.systemUTC(), uri);
        this.manager = new CoreSnapshotManager(host);
    }
    /** The settings every manager made later gets ({@link #manager(java.util.function.UnaryOperator)} sets them). */
    private dev.esm.api.Settings settings = SnapshotManager.builder("test:///fake").settings();
    private int domains;

    @Override
    public SnapshotManager manager() {
        return manager;
    }

    @Override
    public FakeHost host() {
        return host;
    }

    public FakeStorage storage() {
        return storage;
    }

    /** Replaces the manager with one whose executor calls {@code listener} before every step (fault injection). */
    public void injecting(dev.esm.core.engine.StepListener listener) {
        manager = new CoreSnapshotManager(host, Clock.systemUTC(), listener, settings);
    }

    /**
     * Replaces the manager with one made with {@code settings} (its listener and lock wait), whose executor calls
     * {@code faults} before every step.
     */
    public void configured(dev.esm.api.Settings settings, dev.esm.core.engine.StepListener faults) {
        manager = new CoreSnapshotManager(host, Clock.systemUTC(), faults, settings);
    }

    /**
     * Replaces the manager with a fresh one, as a new process would make after a crash (with the settings of the last
     * {@link #manager(java.util.function.UnaryOperator)}).
     */
    public void restart() {
        manager = new CoreSnapshotManager(host, Clock.systemUTC(), (p, i, s) -> { }, settings);
    }

    @Override
    public String newDomain(List<DiskSpec> disks) {
        return define(disks, false);
    }

    @Override
    public String newFirmwareDomain(List<DiskSpec> disks) {
        return define(disks, true);
    }

    @Override
    public String firmwareFile(String domain) {
        return folder(domain) + "/VARS.fd";
    }

    @Override
    public void writeFirmware(String domain, int pattern) {
        storage.write(firmwareFile(domain), 0, pattern);
    }

    @Override
    public boolean fileReads(String path, int pattern) {
        return storage.read(path, 0) == pattern;
    }

    @Override
    public String newTpmDomain(List<DiskSpec> disks) {
        String name = define(disks, false, true);
        storage.addImage(tpmStateFile(name), dev.esm.api.ImageFormat.RAW, 8 * 1024);
        return name;
    }

    /** libvirt's own folder for it: {@code /var/lib/libvirt/swtpm/<uuid>/tpm2/tpm2-00.permall}. */
    @Override
    public String tpmStateFile(String domain) {
        return dev.esm.core.xml.DomainXml.parse(host.domainXml(domain, false)).tpmState().orElseThrow();
    }

    @Override
    public void writeTpmState(String domain, int pattern) {
        storage.write(tpmStateFile(domain), 0, pattern);
    }

    @Override
    public void growFile(String path, int pattern) {
        storage.write(path, 1, pattern);
    }

    private String define(List<DiskSpec> disks, boolean firmware) {
        return define(disks, firmware, false);
    }

    private String define(List<DiskSpec> disks, boolean firmware, boolean tpm) {
        String name = "fake-" + (++domains);
        String dir = folder(name);
        storage.makeDirectory(dir);
        StringBuilder xml = new StringBuilder("<domain type='qemu'><name>").append(name)
                .append("</name><uuid>00000000-0000-0000-0000-00000000000").append(domains % 10)
                .append("</uuid><memory unit='MiB'>64</memory>");
        if (firmware) {
            String vars = dir + "/VARS.fd";
            storage.addImage(vars, dev.esm.api.ImageFormat.RAW, 128 * 1024);
            xml.append("<os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' type='pflash'>")
                    .append("/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram>").append(vars).append("</nvram></os>");
        }
        xml.append("<devices>");
        for (DiskSpec d : disks) {
            String path = dir + "/" + d.fileName();
            storage.addImage(path, d.format(), d.size());
            xml.append("<disk type='file' device='").append(d.device()).append("'><driver name='qemu' type='")
                    .append(d.format().id()).append("'/><source file='").append(path).append("'/><target dev='")
                    .append(d.target()).append("' bus='").append(Bed.busOf(d.target()))
                    .append("'/>").append(d.device().equals("cdrom") ? "<readonly/>" : "").append("</disk>");
        }
        if (tpm) {
            xml.append("<tpm model='tpm-tis'><backend type='emulator' version='2.0'/></tpm>");
        }
        xml.append("</devices></domain>");
        host.defineDomain(xml.toString());
        return name;
    }

    @Override
    public String folder(String domain) {
        return "/fake/" + domain;
    }

    private DiskImage active(String domain, String target) {
        DomainDefinition def = DomainXml.parse(host.domainXml(domain, true));
        return def.disk(target).flatMap(d -> d.image()).orElseThrow();
    }

    @Override
    public void write(String domain, String target, int pattern) {
        storage.write(active(domain, target).path(), 0, pattern);
    }

    @Override
    public boolean reads(String domain, String target, int pattern) {
        return storage.read(active(domain, target).path(), 0) == pattern;
    }

    @Override
    public void writeBlock(String domain, String target, int block, int pattern) {
        storage.write(active(domain, target).path(), block, pattern);
    }

    @Override
    public boolean readsBlock(String domain, String target, int block, int pattern) {
        return storage.read(active(domain, target).path(), block) == pattern;
    }

    @Override
    public boolean imageReadsBlock(DiskImage image, int block, int pattern) {
        return storage.read(image.path(), block) == pattern;
    }

    @Override
    public SnapshotManager manager(java.util.function.UnaryOperator<SnapshotManager.Builder> settings) {
        this.settings = settings.apply(SnapshotManager.builder("test:///fake")).settings();
        manager = new CoreSnapshotManager(host, Clock.systemUTC(), (p, i, s) -> { }, this.settings);
        return manager;
    }

    @Override
    public boolean imageReads(DiskImage image, int pattern) {
        return storage.read(image.path(), 0) == pattern;
    }

    @Override
    public String fileHash(String path) {
        return storage.fingerprint(path);
    }

    @Override
    public void damage(String path) {
        storage.writeAtomically(path, "<fake-sa");
    }

    @Override
    public void writeMemory(String domain, int pattern) {
        host.writeRam(domain, pattern);
    }

    @Override
    public boolean memoryReads(String domain, int pattern) {
        return host.ram(domain) == pattern;
    }

    @Override
    public void resume(String domain) {
        host.resume(domain);
    }

    @Override
    public void pause(String domain) {
        host.pause(domain);
    }

    @Override
    public void start(String domain) {
        host.startDomain(domain);
    }

    @Override
    public void stop(String domain) {
        host.stopDomain(domain);
    }

    @Override
    public Set<String> files(String dir) {
        Set<String> out = new TreeSet<>();
        for (String f : storage.files()) {
            if (f.startsWith(dir + "/")) {
                out.add(f);
            }
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
