package dev.esm.core.engine;

import dev.esm.api.DomainState;
import dev.esm.api.ProgressListener;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Host;
import dev.esm.core.port.SnapshotFlag;
import dev.esm.core.port.StateStore;
import dev.esm.core.port.Storage;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The port as one domain's operations see it: every call that changes something (the domain, its snapshots, its
 * images, its journal) first proves that the domain's lease is still held ({@link Fence#check}), so a client that lost
 * its lease to another one (paused past the lease time, or cut off) makes no further change. Reads pass straight
 * through. Each change runs with the lease bound to its thread ({@link dev.esm.core.port.Fencing}): long jobs
 * ({@code blockCommit}, {@code commit}, also on the manager's executor, where a merge calls this class from its worker
 * thread) prove it again with {@code Fencing.check()} before each change they make part-way.
 *
 * <p>Thread-safe, as the port it wraps.
 */
final class FencedHost implements Host {
    private final Host host;
    private final Fence fence;
    private final FencedStorage storage;
    private final FencedState state;

    FencedHost(Host host, Fence fence) {
        this.host = host;
        this.fence = fence;
        this.storage = new FencedStorage(host.storage(), fence);
        this.state = new FencedState(host.stateStore(), fence);
    }

    private void fenced(Runnable change) {
        fence.run(change);
    }

    @Override
    public String uri() {
        return host.uri();
    }

    @Override
    public DomainState state(String domain) {
        return host.state(domain);
    }

    @Override
    public String domainXml(String domain, boolean live) {
        return host.domainXml(domain, live);
    }

    @Override
    public void defineDomain(String xml) {
        fenced(() -> host.defineDomain(xml));
    }

    @Override
    public void startDomain(String domain) {
        fenced(() -> host.startDomain(domain));
    }

    @Override
    public void stopDomain(String domain) {
        fenced(() -> host.stopDomain(domain));
    }

    @Override
    public String savedDomainXml(String file) {
        return host.savedDomainXml(file);
    }

    @Override
    public void restore(String domain, String file, String domainXml, boolean paused) {
        fenced(() -> host.restore(domain, file, domainXml, paused));
    }

    @Override
    public List<String> snapshotXmls(String domain) {
        return host.snapshotXmls(domain);
    }

    @Override
    public int snapshotCount(String domain) {
        return host.snapshotCount(domain);
    }

    @Override
    public Optional<List<String>> snapshotNames(String domain) {
        return host.snapshotNames(domain);
    }

    @Override
    public Optional<String> snapshotStamp(String domain) {
        return host.snapshotStamp(domain);
    }

    @Override
    public String snapshotXml(String domain, String name) {
        return host.snapshotXml(domain, name);
    }

    @Override
    public Optional<String> currentSnapshot(String domain) {
        return host.currentSnapshot(domain);
    }

    @Override
    public Optional<String> currentSnapshotXml(String domain) {
        return host.currentSnapshotXml(domain);
    }

    @Override
    public void suspendDomain(String domain) {
        fenced(() -> host.suspendDomain(domain));
    }

    @Override
    public void resumeDomain(String domain) {
        fenced(() -> host.resumeDomain(domain));
    }

    @Override
    public void createSnapshot(String domain, String xml, Set<SnapshotFlag> flags) {
        fenced(() -> host.createSnapshot(domain, xml, flags));
    }

    @Override
    public void redefineSnapshot(String domain, String xml, boolean makeCurrent) {
        fenced(() -> host.redefineSnapshot(domain, xml, makeCurrent));
    }

    @Override
    public void deleteSnapshotMetadata(String domain, String name) {
        fenced(() -> host.deleteSnapshotMetadata(domain, name));
    }

    @Override
    public void blockCommit(String domain, String disk, String base, String top, boolean active,
                            ProgressListener listener, Cancellation cancel) {
        fenced(() -> host.blockCommit(domain, disk, base, top, active, listener, cancel));
    }

    @Override
    public void blockPull(String domain, String disk, String anchor, ProgressListener listener, Cancellation cancel) {
        fenced(() -> host.blockPull(domain, disk, anchor, listener, cancel));
    }

    @Override
    public void migrate(String domain, dev.esm.core.port.Migration migration) {
        fenced(() -> host.migrate(domain, migration));
    }

    @Override
    public dev.esm.core.port.Migration.Target migrationTarget() {
        return host.migrationTarget();
    }

    @Override
    public Optional<Set<String>> machineTypes(String arch) {
        return host.machineTypes(arch);
    }

    @Override
    public Optional<String> cpuRefusal(dev.esm.core.model.GuestCpu cpu) {
        return host.cpuRefusal(cpu);
    }

    @Override
    public void undefineDomain(String domain) {
        fenced(() -> host.undefineDomain(domain));
    }

    @Override
    public Optional<String> domainByUuid(String uuid) {
        return host.domainByUuid(uuid);
    }

    @Override
    public Storage storage() {
        return storage;
    }

    @Override
    public StateStore stateStore() {
        return state;
    }

    /** Not the wrapper's to close: the manager closes the port it opened. */
    @Override
    public void close() {
    }

    /** The state half of {@link FencedHost}: journal writes are changes; reads and the lock itself pass through. */
    private static final class FencedState implements StateStore {
        private final StateStore state;
        private final Fence fence;

        FencedState(StateStore state, Fence fence) {
            this.state = state;
            this.fence = fence;
        }

        @Override
        public Optional<String> readJournal(String key) {
            return state.readJournal(key);
        }

        @Override
        public void writeJournal(String key, String content) {
            fence.run(() -> state.writeJournal(key, content));
        }

        @Override
        public void removeJournal(String key) {
            fence.run(() -> state.removeJournal(key));
        }

        @Override
        public Lease lock(String key, Duration wait) {
            return state.lock(key, wait);
        }

        @Override
        public Optional<LockHolder> lockHolder(String key) {
            return state.lockHolder(key);
        }

        @Override
        public Optional<String> readTreeIndex(String key) {
            return state.readTreeIndex(key);
        }

        @Override
        public void writeTreeIndex(String key, String content) {
            state.writeTreeIndex(key, content); // a reader's, lock or not: the index is checked on every read
        }

        @Override
        public void removeTreeIndex(String key) {
            state.removeTreeIndex(key);
        }
    }
}
