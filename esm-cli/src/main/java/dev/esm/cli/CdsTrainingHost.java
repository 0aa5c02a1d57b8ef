package dev.esm.cli;

import dev.esm.api.DomainState;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Host;
import dev.esm.core.port.SnapshotFlag;
import dev.esm.core.port.StateStore;
import dev.esm.core.port.Storage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A host in memory for {@link CdsTraining}: one domain set up by ESM with a tree of snapshots, as libvirt gives them,
 * and a state store that keeps a tree index. Through it the training run reads the tree the way {@code esm tree} and
 * {@code esm list} do (in full, then from the index), so that the classes and lambdas of that read (XML parsing, the
 * model, the index, the output) are in the archive without a libvirt daemon at build time. Serves reads only; every
 * change is refused. Not thread-safe; the training run uses it from one thread.
 */
final class CdsTrainingHost implements Host {
    static final String URI = "esm-cds-training:///";
    static final String DOMAIN = "esm-cds-training";
    private static final String DIR = "/var/lib/esm-cds-training";
    private static final String UUID = "1b9a7ecb-2e9e-4568-a0e0-985ddcd3ee77";

    private final List<String> names = new ArrayList<>();
    private final Map<String, String> snapshots = new ConcurrentHashMap<>();
    private final Map<String, String> indexes = new ConcurrentHashMap<>();

    /** @param n how many snapshots: r0 off the base, the others in chains of 5 off r0 */
    CdsTrainingHost(int n) {
        for (int i = 0; i < n; i++) {
            String name = i == 0 ? "r0" : "m" + i;
            String parent = i == 0 ? null : i % 5 == 1 ? "r0" : "m" + (i - 1);
            names.add(name);
            snapshots.put(name, snapshotXml(name, parent, 1_700_000_000L + i));
        }
    }

    private static String domainXml(String top) {
        return "<domain type='qemu'><name>" + DOMAIN + "</name><uuid>" + UUID + "</uuid><metadata>"
                + "<esm:record xmlns:esm=\"https://esm.dev/xmlns/esm/1\" version=\"1\"><esm:disks-dir>" + DIR
                + "</esm:disks-dir><esm:base frozen=\"2026-12-05T17:38:03.783881752Z\"><esm:image format=\"qcow2\" "
                + "path=\"" + DIR + "/disk0.base\" target=\"vda\"/></esm:base></esm:record></metadata>"
                + "<memory unit='KiB'>65536</memory><currentMemory unit='KiB'>65536</currentMemory>"
                + "<vcpu placement='static'>1</vcpu><os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>"
                + "<boot dev='hd'/></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
                + "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" + DIR + "/disk0."
                + "after-" + top + ".qcow2'/><target dev='vda' bus='virtio'/></disk>"
                + "<controller type='pci' index='0' model='pci-root'/></devices></domain>";
    }

    private static String snapshotXml(String name, String parent, long created) {
        return "<domainsnapshot><name>" + name + "</name><state>shutoff</state>"
                + (parent == null ? "" : "<parent><name>" + parent + "</name></parent>")
                + "<creationTime>" + created + "</creationTime><memory snapshot='no'/><disks>"
                + "<disk name='vda' snapshot='external' type='file'><driver type='qcow2'/><source file='" + DIR
                + "/disk0.after-" + name + ".qcow2'/></disk></disks>" + domainXml(parent == null ? "base" : parent)
                + "</domainsnapshot>";
    }

    private static UnsupportedOperationException refused() {
        return new UnsupportedOperationException("the class-data-sharing training host only reads");
    }

    @Override
    public String uri() {
        return URI;
    }

    @Override
    public DomainState state(String domain) {
        return DomainState.SHUTOFF;
    }

    @Override
    public String domainXml(String domain, boolean live) {
        return domainXml(names.get(names.size() - 1));
    }

    @Override
    public List<String> snapshotXmls(String domain) {
        return names.stream().map(snapshots::get).toList();
    }

    @Override
    public int snapshotCount(String domain) {
        return names.size();
    }

    @Override
    public Optional<List<String>> snapshotNames(String domain) {
        return Optional.of(List.copyOf(names));
    }

    @Override
    public Optional<String> snapshotStamp(String domain) {
        return Optional.of("1733420000.000000000");
    }

    @Override
    public String snapshotXml(String domain, String name) {
        return snapshots.get(name);
    }

    @Override
    public Optional<String> currentSnapshot(String domain) {
        return Optional.of(names.get(names.size() - 1));
    }

    /** @return image storage that refuses every call (a read of the tree touches no image) */
    @Override
    public void undefineDomain(String domain) {
        throw refused();
    }

    @Override
    public java.util.Optional<String> domainByUuid(String uuid) {
        throw refused();
    }

    @Override
    public void migrate(String domain, dev.esm.core.port.Migration migration) {
        throw refused();
    }

    @Override
    public dev.esm.core.port.Migration.Target migrationTarget() {
        throw refused();
    }

    @Override
    public Optional<Set<String>> machineTypes(String arch) {
        return Optional.empty(); // not asked: training only reads
    }

    @Override
    public Optional<String> cpuRefusal(dev.esm.core.model.GuestCpu cpu) {
        return Optional.empty();
    }

    @Override
    public Storage storage() {
        return (Storage) java.lang.reflect.Proxy.newProxyInstance(Storage.class.getClassLoader(),
                new Class<?>[] {Storage.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "storage of " + URI;
                    default -> throw refused();
                });
    }

    @Override
    public StateStore stateStore() {
        return new StateStore() {
            @Override
            public Optional<String> readJournal(String key) {
                return Optional.empty();
            }

            @Override
            public void writeJournal(String key, String content) {
                throw refused();
            }

            @Override
            public void removeJournal(String key) {
                throw refused();
            }

            @Override
            public Optional<String> readTreeIndex(String key) {
                return Optional.ofNullable(indexes.get(key));
            }

            @Override
            public void writeTreeIndex(String key, String content) {
                indexes.put(key, content);
            }

            @Override
            public void removeTreeIndex(String key) {
                indexes.remove(key);
            }

            @Override
            public Lease lock(String key, Duration wait) {
                throw refused();
            }
        };
    }

    @Override
    public void close() {
        // nothing held
    }

    @Override
    public void defineDomain(String xml) {
        throw refused();
    }

    @Override
    public void startDomain(String domain) {
        throw refused();
    }

    @Override
    public void stopDomain(String domain) {
        throw refused();
    }

    @Override
    public String savedDomainXml(String file) {
        throw refused();
    }

    @Override
    public void restore(String domain, String file, String domainXml, boolean paused) {
        throw refused();
    }

    @Override
    public void suspendDomain(String domain) {
        throw refused();
    }

    @Override
    public void resumeDomain(String domain) {
        throw refused();
    }

    @Override
    public void createSnapshot(String domain, String xml, Set<SnapshotFlag> flags) {
        throw refused();
    }

    @Override
    public void redefineSnapshot(String domain, String xml, boolean makeCurrent) {
        throw refused();
    }

    @Override
    public void deleteSnapshotMetadata(String domain, String name) {
        throw refused();
    }

    @Override
    public void blockCommit(String domain, String disk, String base, String top, boolean active,
                            dev.esm.api.ProgressListener listener, Cancellation cancel) {
        throw refused();
    }

    @Override
    public void blockPull(String domain, String disk, String anchor, dev.esm.api.ProgressListener listener,
                          Cancellation cancel) {
        throw refused();
    }
}
