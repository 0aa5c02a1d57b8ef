package dev.esm.core.engine;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainState;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
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

    /** The lease of one domain while one of its operations runs; none between operations. Thread-safe. */
    static final class Fence {
        private volatile StateStore.Lease held;

        void hold(StateStore.Lease lease) {
            held = lease;
        }

        void drop() {
            held = null;
        }

        /** @return the lease held now, if any */
        Optional<StateStore.Lease> held() {
            return Optional.ofNullable(held);
        }

        /** Proves the lease (if one is held) before a change; see {@link StateStore.Lease#ensureHeld}. */
        void check() {
            StateStore.Lease lease = held;
            if (lease != null) {
                lease.ensureHeld();
            }
        }
    }

    /**
     * Runs a change: proves the lease first (and binds it for the change's own later calls: {@link
     * dev.esm.core.port.Fencing}), and when the change fails, proves it again, so that a failure caused by
     * another client having taken the domain over (its helper domain destroyed, its files removed) is reported as the
     * loss of the lease it is, not as the failure it looks like.
     */
    static void fenced(Fence fence, Runnable change) {
        fence.check();
        try {
            Optional<StateStore.Lease> lease = fence.held();
            if (lease.isPresent()) {
                dev.esm.core.port.Fencing.during(lease.get(), change); // the adapter's later calls prove it too
            } else {
                change.run();
            }
        } catch (dev.esm.api.errors.LeaseLostException lost) {
            throw lost;
        } catch (RuntimeException e) {
            try {
                fence.check();
            } catch (dev.esm.api.errors.LeaseLostException lost) {
                lost.addSuppressed(e);
                throw lost;
            }
            throw e;
        }
    }

    private void fenced(Runnable change) {
        fenced(fence, change);
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

    /** The storage half of {@link FencedHost}. */
    private static final class FencedStorage implements Storage {
        private final Storage storage;
        private final Fence fence;

        private void fenced(Runnable change) {
            FencedHost.fenced(fence, change);
        }

        FencedStorage(Storage storage, Fence fence) {
            this.storage = storage;
            this.fence = fence;
        }

        @Override
        public boolean exists(String path) {
            return storage.exists(path);
        }

        @Override
        public boolean existsCheaply(String path) {
            return storage.existsCheaply(path);
        }

        @Override
        public ImageInfo info(String path, ImageFormat format) {
            return storage.info(path, format);
        }

        @Override
        public Optional<DiskImage> backing(String path, ImageFormat format) {
            return storage.backing(path, format);
        }

        @Override
        public Optional<BackingReference> backingReference(String path, ImageFormat format) {
            return storage.backingReference(path, format);
        }

        @Override
        public boolean encrypted(String path, ImageFormat format) {
            return storage.encrypted(path, format);
        }

        @Override
        public Optional<String> symbolicLink(String path) {
            return storage.symbolicLink(path);
        }

        @Override
        public void createOverlay(String path, DiskImage backing) {
            fenced(() -> storage.createOverlay(path, backing));
        }

        @Override
        public boolean subclusters(String path) {
            return storage.subclusters(path);
        }

        @Override
        public void createPullableOverlay(String path, DiskImage backing) {
            fenced(() -> storage.createPullableOverlay(path, backing));
        }

        @Override
        public long size(String path) {
            return storage.size(path);
        }

        @Override
        public void makeDirectory(String path) {
            fenced(() -> storage.makeDirectory(path));
        }

        @Override
        public void place(String from, String to) {
            fenced(() -> storage.place(from, to));
        }

        @Override
        public void copy(String from, String to) {
            fenced(() -> storage.copy(from, to));
        }

        @Override
        public void commit(String top, String base, String disk, ProgressListener listener, Cancellation cancel) {
            fenced(() -> storage.commit(top, base, disk, listener, cancel));
        }

        @Override
        public void pull(String image, DiskImage anchor, String disk, ProgressListener listener,
                         Cancellation cancel) {
            fenced(() -> storage.pull(image, anchor, disk, listener, cancel));
        }

        @Override
        public void rebase(String image, DiskImage newBacking) {
            fenced(() -> storage.rebase(image, newBacking));
        }

        @Override
        public List<String> list(String directory) {
            return storage.list(directory);
        }

        @Override
        public java.util.OptionalLong freeBytes(String directory) {
            return storage.freeBytes(directory);
        }

        @Override
        public dev.esm.core.port.ByteSource readBytes(String path) {
            return storage.readBytes(path);
        }

        @Override
        public dev.esm.core.port.ByteSink writeBytes(String path, long length) {
            dev.esm.core.port.ByteSink[] made = new dev.esm.core.port.ByteSink[1];
            fenced(() -> made[0] = storage.writeBytes(path, length));
            return made[0];
        }

        @Override
        public void remove(String path) {
            fenced(() -> storage.remove(path));
        }
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
            FencedHost.fenced(fence, () -> state.writeJournal(key, content));
        }

        @Override
        public void removeJournal(String key) {
            FencedHost.fenced(fence, () -> state.removeJournal(key));
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
