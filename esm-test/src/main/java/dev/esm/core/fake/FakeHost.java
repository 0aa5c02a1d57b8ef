package dev.esm.core.fake;

import static dev.esm.core.fake.FakeErrors.invalid;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainState;
import dev.esm.api.SnapshotState;
import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.port.Host;
import dev.esm.core.port.SnapshotFlag;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.SnapshotXml;
import dev.esm.core.xml.Xml;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.w3c.dom.Element;

/**
 * An in-memory stand-in for libvirt's QEMU driver, as far as ESM uses it: domains with persistent and live
 * definitions, and snapshot metadata with libvirt's rules (the parent of a new snapshot is the current one;
 * removing a snapshot's metadata re-parents its children). External snapshots with {@code REUSE_EXT} check
 * that each prepared overlay is backed by the disk's active image, as QEMU would. Each domain's state and lifecycle
 * are {@link FakeDomain}'s, memory files {@link FakeSaveImages}', block jobs {@link FakeBlockJobs}'.
 *
 * <p>Thread-safety: thread-safe (synchronized on this object; the block jobs hold the same lock).
 */
public final class FakeHost implements Host {
    /** Whether {@link #snapshotStamp} gives markers. */
    private boolean stamps = true;
    private final FakeStorage storage;
    private final Clock clock;
    /** The block jobs (commit, pull), under this object's lock. */
    private final FakeBlockJobs blockJobs;
    private final Map<String, FakeDomain> domains = new HashMap<>();
    /** The memory files of memory snapshots, read by restores. */
    private final FakeSaveImages saves;
    private final String uri;
    /** Seconds added to each new snapshot's creation time, so that no two share one. */
    private long tick;

    /** Makes memory snapshots fail as on a full file system, after writing {@code bytes}; -1 for enough room. */
    public synchronized void memorySpace(int bytes) {
        saves.space(bytes);
    }

    public FakeHost(FakeStorage storage, Clock clock) {
        this(storage, clock, "fake:///memory");
    }

    /** A fake host known by another URI (one of two hosts a move goes between). */
    public FakeHost(FakeStorage storage, Clock clock, String uri) {
        this.storage = storage;
        this.clock = clock;
        this.uri = uri;
        this.saves = new FakeSaveImages(storage);
        this.blockJobs = new FakeBlockJobs(this, storage, new FakeBlockJobs.LiveDomains() {
            @Override
            public void requireRunning(String domain) {
                dom(domain).requireRunning();
            }

            @Override
            public String liveXml(String domain) {
                return dom(domain).live;
            }

            @Override
            public void liveXml(String domain, String xml) {
                dom(domain).live = xml;
            }
        });
    }

    private FakeDomain dom(String name) {
        FakeDomain d = domains.get(name);
        if (d == null) {
            throw new DomainNotFoundException("no domain '" + name + "'");
        }
        return d;
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public synchronized DomainState state(String domain) {
        return dom(domain).state();
    }

    @Override
    public synchronized String domainXml(String domain, boolean live) {
        FakeDomain d = dom(domain);
        return live && d.running ? FakeChains.withChains(storage, d.live) : d.persistent;
    }

    @Override
    public synchronized void defineDomain(String xml) {
        String name = DomainXml.parse(xml).name();
        domains.computeIfAbsent(name, n -> new FakeDomain()).persistent = xml;
    }

    /** Removes a domain and its snapshot metadata. */
    public synchronized void undefine(String domain) {
        domains.remove(domain);
    }

    @Override
    public dev.esm.core.port.Migration.Target migrationTarget() {
        return new FakeMigrations.Target(this);
    }

    @Override
    public Optional<Set<String>> machineTypes(String arch) {
        return Optional.empty(); // a fake host runs any machine type and CPU
    }

    @Override
    public Optional<String> cpuRefusal(dev.esm.core.model.GuestCpu cpu) {
        return Optional.empty();
    }

    @Override
    public void migrate(String domain, dev.esm.core.port.Migration m) {
        FakeMigrations.migrate(this, domain, m);
    }

    /** What a migration takes away: the domain's definitions and RAM; refused as libvirt refuses. */
    synchronized FakeMigrations.Leaving leaving(String domain) {
        FakeDomain d = dom(domain);
        d.requireRunning();
        if (d.snapshots.count() > 0) {
            throw invalid("cannot migrate domain with " + d.snapshots.count() + " snapshots");
        }
        return new FakeMigrations.Leaving(d.persistent, d.live, d.ram);
    }

    /** A migrated domain arrives: defined, running, its RAM as it was. */
    synchronized void arrive(String xml, int ram, boolean paused) {
        defineDomain(xml);
        String name = DomainXml.parse(xml).name();
        startDomain(name);
        dom(name).ram = ram;
        if (paused) {
            suspendDomain(name);
        }
    }

    /** A migrated domain leaves. */
    synchronized void left(String domain) {
        domains.remove(domain);
    }

    @Override
    public synchronized void undefineDomain(String domain) {
        if (dom(domain).running) {
            throw invalid("cannot undefine a running domain in a move");
        }
        domains.remove(domain);
    }

    @Override
    public synchronized Optional<String> domainByUuid(String uuid) {
        return domains.entrySet().stream()
                .filter(e -> DomainXml.parse(e.getValue().persistent).uuid().equalsIgnoreCase(uuid))
                .map(Map.Entry::getKey).findFirst();
    }

    @Override
    public synchronized void startDomain(String domain) {
        dom(domain).start(storage);
    }

    /** Writes a pattern into a running domain's RAM. */
    public synchronized void writeRam(String domain, int pattern) {
        FakeDomain d = dom(domain);
        d.requireRunning();
        d.ram = pattern;
    }

    /** @return the pattern in a running domain's RAM */
    public synchronized int ram(String domain) {
        FakeDomain d = dom(domain);
        d.requireRunning();
        return d.ram;
    }

    /** Pauses a running domain. */
    public synchronized void pause(String domain) {
        dom(domain).pause();
    }

    /** Lets a paused domain run. */
    public synchronized void resume(String domain) {
        dom(domain).resume();
    }

    @Override
    public synchronized void suspendDomain(String domain) {
        pause(domain);
    }

    @Override
    public synchronized void resumeDomain(String domain) {
        resume(domain);
    }

    @Override
    public synchronized String savedDomainXml(String file) {
        return saves.read(file).domainXml();
    }

    @Override
    public synchronized void restore(String domain, String file, String domainXml, boolean paused) {
        FakeDomain d = dom(domain);
        if (d.running) {
            throw invalid("domain '" + domain + "' is already active");
        }
        FakeSaveImages.Saved save = saves.read(file);
        DomainDefinition saved = DomainXml.parse(save.domainXml());
        DomainDefinition given = DomainXml.parse(domainXml);
        if (!saved.uuid().equals(given.uuid()) || saved.disks().size() != given.disks().size()) {
            throw invalid("the given XML does not match the saved domain");
        }
        FakeDomain.requireImages(storage, given, "restore failed");
        d.restored(domainXml, save.ram(), paused);
    }

    @Override
    public synchronized void stopDomain(String domain) {
        dom(domain).stop();
    }

    @Override
    public synchronized List<String> snapshotXmls(String domain) {
        return dom(domain).snapshots.xmls();
    }

    @Override
    public synchronized int snapshotCount(String domain) {
        return dom(domain).snapshots.count();
    }

    @Override
    public synchronized Optional<List<String>> snapshotNames(String domain) {
        return Optional.of(dom(domain).snapshots.names());
    }

    /** A generation of the domain's snapshot metadata, as a local daemon's metadata directory gives; see
     * {@link #snapshotStamps(boolean)}. */
    @Override
    public synchronized Optional<String> snapshotStamp(String domain) {
        return Optional.of(stamps ? "g" + dom(domain).snapshots.generation() : "");
    }

    /**
     * Whether {@link #snapshotStamp} gives a marker of every snapshot change (the default, as on a local daemon), or
     * none (as over a remote URI, where a tree index is checked against the names and the current snapshot alone).
     */
    public synchronized void snapshotStamps(boolean kept) {
        this.stamps = kept;
    }

    @Override
    public synchronized String snapshotXml(String domain, String name) {
        return dom(domain).snapshots.xml(name);
    }

    @Override
    public synchronized Optional<String> currentSnapshot(String domain) {
        return dom(domain).snapshots.current();
    }

    @Override
    public synchronized void createSnapshot(String domain, String xml, Set<SnapshotFlag> flags) {
        FakeDomain d = dom(domain);
        if (!flags.contains(SnapshotFlag.REUSE_EXTERNAL)) {
            throw invalid("the fake host only takes snapshots on prepared overlays");
        }
        if (flags.contains(SnapshotFlag.QUIESCE)) {
            throw invalid("QEMU guest agent is not configured");
        }
        Element root = Xml.parse(xml).getDocumentElement();
        String name = Xml.childText(root, "name").orElseThrow();
        if (d.snapshots.contains(name)) {
            throw invalid("domain snapshot '" + name + "' already exists");
        }
        DomainDefinition active = DomainXml.parse(d.activeXml());
        Map<String, DiskImage> overlays = FakeSnapshotRequests.overlays(root, active, storage);
        Optional<String> memory = FakeSnapshotRequests.memoryFile(root, flags);
        SnapshotState state = d.running ? SnapshotState.DISK_SNAPSHOT : SnapshotState.SHUTOFF;
        if (memory.isPresent()) {
            if (!d.running) {
                throw invalid("a memory snapshot needs a running domain");
            }
            if (storage.exists(memory.get())) {
                throw invalid("memory file " + memory.get() + " exists already");
            }
            saves.write(memory.get(), d.ram, d.live);
            state = d.paused ? SnapshotState.PAUSED : SnapshotState.RUNNING;
        }
        String full = SnapshotXml.full(xml, d.snapshots.current(), clock.instant().plusSeconds(tick++),
                state, d.activeXml());
        d.snapshots.add(name, full);
        d.persistent = DomainXml.rewrite(d.persistent, overlays, Optional.empty());
        if (d.running) {
            d.live = DomainXml.rewrite(d.live, overlays, Optional.empty());
        }
    }

    @Override
    public synchronized void redefineSnapshot(String domain, String xml, boolean makeCurrent) {
        dom(domain).snapshots.redefine(xml, makeCurrent);
    }

    @Override
    public synchronized void deleteSnapshotMetadata(String domain, String name) {
        dom(domain).snapshots.delete(name);
    }

    @Override
    public void blockCommit(String domain, String disk, String base, String top, boolean active,
                            dev.esm.api.ProgressListener listener, dev.esm.core.port.Cancellation cancel) {
        blockJobs.commit(domain, disk, base, top, active, listener, cancel);
    }

    @Override
    public void blockPull(String domain, String disk, String anchor, dev.esm.api.ProgressListener listener,
                          dev.esm.core.port.Cancellation cancel) {
        blockJobs.pull(domain, disk, anchor, listener, cancel);
    }

    @Override
    public FakeStorage storage() {
        return storage;
    }

    @Override
    public FakeState stateStore() {
        return storage.state();
    }

    @Override
    public void close() {
    }
}
