package dev.esm.core.fake;

import static dev.esm.core.fake.FakeErrors.invalid;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainState;
import dev.esm.api.SnapshotState;
import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.api.errors.HypervisorException;
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
 * that each prepared overlay is backed by the disk's active image, as QEMU would. Block jobs are
 * {@link FakeBlockJobs}'.
 *
 * <p>Thread-safety: thread-safe (synchronized on this object; the block jobs hold the same lock).
 */
public final class FakeHost implements Host {
    /** Whether {@link #snapshotStamp} gives markers. */
    private boolean stamps = true;
    private static final class Dom {
        String persistent;
        String live;
        boolean running;
        boolean paused;
        /** The guest's RAM, as one pattern. */
        int ram;
        final SnapshotMetadata snapshots = new SnapshotMetadata();
    }

    private final FakeStorage storage;
    private final Clock clock;
    /** The block jobs (commit, pull), under this object's lock. */
    private final FakeBlockJobs blockJobs;
    private final Map<String, Dom> domains = new HashMap<>();
    /** When not negative, a memory snapshot fails after writing this many bytes (a full file system). */
    private int memorySpace = -1;

    /** Makes memory snapshots fail as on a full file system, after writing {@code bytes}; -1 for enough room. */
    public synchronized void memorySpace(int bytes) {
        memorySpace = bytes;
    }
    private long tick;

    public FakeHost(FakeStorage storage, Clock clock) {
        this(storage, clock, "fake:///memory");
    }

    /** A fake host known by another URI (one of two hosts a move goes between). */
    public FakeHost(FakeStorage storage, Clock clock, String uri) {
        this.storage = storage;
        this.clock = clock;
        this.uri = uri;
        this.blockJobs = new FakeBlockJobs(this, storage, new FakeBlockJobs.LiveDomains() {
            @Override
            public void requireRunning(String domain) {
                if (!dom(domain).running) {
                    throw invalid("domain is not running");
                }
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

    private final String uri;

    private Dom dom(String name) {
        Dom d = domains.get(name);
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
        Dom d = dom(domain);
        return !d.running ? DomainState.SHUTOFF : d.paused ? DomainState.PAUSED : DomainState.RUNNING;
    }

    @Override
    public synchronized String domainXml(String domain, boolean live) {
        Dom d = dom(domain);
        return live && d.running ? FakeChains.withChains(storage, d.live) : d.persistent;
    }

    @Override
    public synchronized void defineDomain(String xml) {
        String name = DomainXml.parse(xml).name();
        domains.computeIfAbsent(name, n -> new Dom()).persistent = xml;
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
        Dom d = dom(domain);
        if (!d.running) {
            throw invalid("domain is not running");
        }
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
        Dom d = dom(domain);
        if (d.running) {
            throw invalid("domain is already running");
        }
        for (DiskImage img : DomainXml.parse(d.persistent).activeImages()) {
            if (!storage.exists(img.path())) {
                throw new HypervisorException("start failed", 38, "VIR_ERR_SYSTEM_ERROR",
                        "Cannot access storage file '" + img.path() + "'", null);
            }
        }
        d.running = true;
        d.paused = false;
        d.ram = 0;
        d.live = d.persistent;
    }

    /** Writes a pattern into a running domain's RAM. */
    public synchronized void writeRam(String domain, int pattern) {
        Dom d = dom(domain);
        if (!d.running) {
            throw invalid("domain is not running");
        }
        d.ram = pattern;
    }

    /** @return the pattern in a running domain's RAM */
    public synchronized int ram(String domain) {
        Dom d = dom(domain);
        if (!d.running) {
            throw invalid("domain is not running");
        }
        return d.ram;
    }

    /** Pauses a running domain. */
    public synchronized void pause(String domain) {
        Dom d = dom(domain);
        if (!d.running || d.paused) {
            throw invalid("domain is not running");
        }
        d.paused = true;
    }

    /** Lets a paused domain run. */
    public synchronized void resume(String domain) {
        Dom d = dom(domain);
        if (!d.running || !d.paused) {
            throw invalid("domain is not paused");
        }
        d.paused = false;
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
        return Xml.write(Xml.child(save(file), "domain").orElseThrow());
    }

    private Element save(String file) {
        String text = storage.read(file).orElseThrow(() -> new HypervisorException("no save file", 38,
                "VIR_ERR_SYSTEM_ERROR", "Failed to open domain image file '" + file + "'", null));
        try {
            Element root = Xml.parse(text).getDocumentElement();
            if (!"fake-save".equals(root.getTagName()) || Xml.child(root, "domain").isEmpty()) {
                throw new IllegalArgumentException("not a save image");
            }
            return root;
        } catch (RuntimeException e) {
            throw new HypervisorException("bad save file", 1, "VIR_ERR_OPERATION_FAILED",
                    "image magic is incorrect: " + file, null);
        }
    }

    @Override
    public synchronized void restore(String domain, String file, String domainXml, boolean paused) {
        Dom d = dom(domain);
        if (d.running) {
            throw invalid("domain '" + domain + "' is already active");
        }
        Element save = save(file);
        DomainDefinition saved = DomainXml.parse(Xml.write(Xml.child(save, "domain").orElseThrow()));
        DomainDefinition given = DomainXml.parse(domainXml);
        if (!saved.uuid().equals(given.uuid()) || saved.disks().size() != given.disks().size()) {
            throw invalid("the given XML does not match the saved domain");
        }
        for (DiskImage img : given.activeImages()) {
            if (!storage.exists(img.path())) {
                throw new HypervisorException("restore failed", 38, "VIR_ERR_SYSTEM_ERROR",
                        "Cannot access storage file '" + img.path() + "'", null);
            }
        }
        d.running = true;
        d.paused = paused;
        d.live = domainXml;
        d.ram = Integer.parseInt(save.getAttribute("ram"));
    }

    @Override
    public synchronized void stopDomain(String domain) {
        Dom d = dom(domain);
        if (!d.running) {
            throw invalid("domain is not running");
        }
        d.running = false;
        d.paused = false;
        d.live = null;
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
        Dom d = dom(domain);
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
        DomainDefinition active = DomainXml.parse(d.running ? d.live : d.persistent);
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
            if (memorySpace >= 0) {
                // As a full file system: part of the file is written, then the write fails (libvirt usually
                // removes it; the fake leaves it, to check that ESM does).
                storage.writeAtomically(memory.get(), ("<fake-save ram='" + d.ram + "'>").substring(0, memorySpace));
                throw new HypervisorException("save failed", 38, "VIR_ERR_SYSTEM_ERROR",
                        "unable to write " + memory.get() + ": No space left on device", null);
            }
            storage.writeAtomically(memory.get(), "<fake-save ram='" + d.ram + "'>"
                    + d.live.replaceFirst("^<\\?xml[^>]*>", "") + "</fake-save>");
            state = d.paused ? SnapshotState.PAUSED : SnapshotState.RUNNING;
        }
        String full = SnapshotXml.full(xml, d.snapshots.current(), clock.instant().plusSeconds(tick++),
                state, d.running ? d.live : d.persistent);
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
