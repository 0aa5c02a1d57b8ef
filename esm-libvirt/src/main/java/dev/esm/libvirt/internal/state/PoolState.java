package dev.esm.libvirt.internal.state;

import dev.esm.core.port.StateStore;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.libvirt.Connect;
import dev.esm.libvirt.internal.pool.StatePool;

/**
 * Journals and leases on a host reached only through libvirt's storage API, so that every client of the host (on any
 * machine) sees the same ones. A domain's journal goes into the domain's definition ({@link DomainJournals}: one call,
 * no upload); a journal too large for a definition, or of a domain without a persistent one (whose key is then not a
 * UUID), into the volume {@code <key>.journal} of the state pool ({@link HostState}); a journal that moves to a volume
 * is removed from the definition after the volume is written (a reader prefers the definition's). The lock is a
 * fenced lease ({@link VolumeLeases}) on {@code <key>.lock}.
 *
 * <p>Thread-safe. Owns its parts: {@link #close} closes them.
 */
public final class PoolState implements StateStore, AutoCloseable {
    private final StatePool pool;
    private final HostState volumes;
    private final DomainJournals journals;
    private final VolumeLeases leases;
    /** Journals of domains whose volume may exist (written by this client, or found): removed with the journal. */
    private final Set<String> journalVolumes = ConcurrentHashMap.newKeySet();
    /** Journals of domains this client has looked for a volume of (see {@link #readJournal}). */
    private final Set<String> legacyChecked = ConcurrentHashMap.newKeySet();

    /**
     * @param conn the operations' connection (owned by the caller)
     * @param pool the state pool
     * @param hostUri the host's URI (the leases' heartbeats open a connection of their own to it)
     * @param leaseTime how long a lease lasts without a heartbeat
     */
    public PoolState(Connect conn, StatePool pool, String hostUri, Duration leaseTime) {
        this.pool = pool;
        this.volumes = new HostState(conn, pool);
        this.journals = new DomainJournals(conn);
        this.leases = new VolumeLeases(conn, pool, hostUri, leaseTime);
    }

    /** @return the journal volumes (for tests) */
    public HostState volumes() {
        return volumes;
    }

    private String volume(String key) {
        return pool.folder() + "/" + key + ".journal";
    }

    private String lockPath(String key) {
        return pool.folder() + "/" + key + ".lock";
    }

    /** @return the key as a domain UUID, when it is one (a domain with a UUID keeps its journal in its definition) */
    private static Optional<String> uuidOf(String key) {
        try {
            return Optional.of(UUID.fromString(key).toString()).filter(u -> u.equalsIgnoreCase(key));
        } catch (IllegalArgumentException notUuid) {
            return Optional.empty();
        }
    }

    @Override
    public void writeJournal(String key, String content) {
        Optional<String> uuid = uuidOf(key);
        if (uuid.isPresent() && journals.write(uuid.get(), content)) {
            return; // a volume of an earlier version, if any, is removed with the journal
        }
        String path = volume(key);
        journalVolumes.add(path);
        volumes.write(path, content);
        uuid.ifPresent(journals::markInVolume);
    }

    /**
     * A domain's journal is read from its definition and, when that holds none, from its volume (where this release
     * keeps large journals, and where the releases before it kept every journal).
     */
    @Override
    public Optional<String> readJournal(String key) {
        Optional<String> uuid = uuidOf(key);
        String path = volume(key);
        DomainJournals.Found found = uuid.isPresent() ? journals.read(uuid.get()) : null;
        if (found == null) {
            return volumes.read(path); // a domain without a persistent definition
        }
        switch (found.kind()) {
            case HERE:
                return found.journal();
            case IN_VOLUME:
                journalVolumes.add(path);
                return volumes.read(path);
            default:
                // No journal in the definition. A release before this one kept journals in volumes: look for one
                // the first time this client reads the domain's journal (one call), not on every operation.
                if (!legacyChecked.add(path)) {
                    return Optional.empty();
                }
                Optional<String> legacy = volumes.read(path);
                if (legacy.isPresent()) {
                    journalVolumes.add(path);
                }
                return legacy;
        }
    }

    @Override
    public void removeJournal(String key) {
        // The volume first: a crash in between leaves the definition's journal, the newest (the other order could
        // leave an older one in a volume, to be recovered as if unfinished).
        Optional<String> uuid = uuidOf(key);
        String path = volume(key);
        if (uuid.isEmpty() || journalVolumes.remove(path)) {
            volumes.remove(path);
        }
        uuid.ifPresent(journals::remove);
    }

    private String treeIndex(String key) {
        return pool.folder() + "/" + key + ".tree";
    }

    /** The volume {@code <key>.tree} of the state pool, written as a journal is ({@link HostState}). */
    @Override
    public Optional<String> readTreeIndex(String key) {
        return volumes.read(treeIndex(key));
    }

    @Override
    public void writeTreeIndex(String key, String content) {
        volumes.write(treeIndex(key), content);
    }

    @Override
    public void removeTreeIndex(String key) {
        volumes.remove(treeIndex(key));
    }

    /** A lease on the host, shared by every client of the host: see {@link VolumeLeases}. */
    @Override
    public Lease lock(String key, Duration wait) {
        pool.folder();
        Lease lease = leases.lock(lockPath(key), wait);
        volumes.forget(lockPath(key));
        journals.forget(); // another client may have written journals while this one did not hold a lease
        return lease;
    }

    /** Who holds a lease on the host: see {@link VolumeLeases#holder}. */
    @Override
    public Optional<LockHolder> lockHolder(String key) {
        pool.folder();
        return leases.holder(lockPath(key));
    }

    /** Removes every generation of the lease of {@code key} (tests and clean-up; never while one is held). */
    public void removeLeases(String key) {
        leases.removeAll(lockPath(key));
    }

    /**
     * @param domainXml a definition about to be defined (read earlier, or a snapshot's copy)
     * @return it with the domain's newest journal in place of the journal element it carries (see
     *         {@link DomainJournals})
     */
    public String withCurrentJournal(String domainXml) {
        return journals.withCurrent(domainXml);
    }

    @Override
    public void close() {
        leases.close();
        volumes.close();
        journals.close();
    }
}
