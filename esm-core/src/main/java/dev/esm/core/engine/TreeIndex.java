package dev.esm.core.engine;

import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.port.Host;
import dev.esm.core.port.StateStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One domain's snapshot-tree index: what a whole-tree read needs of every snapshot, kept in the state store next to
 * the domain's journal ({@link StateStore#readTreeIndex}: a file of the state folder locally, a volume of the host's
 * state pool remotely), so that a new process, or any process over a remote URI, reads a tree of any size in a few
 * calls instead of one lookup and one XML per snapshot.
 *
 * <p>Checked on every read against libvirt, without the domain's lock: the snapshots' names (one call, as a set, and
 * their order taken from it), libvirt's current snapshot and its XML (what the index holds of it must be what the XML
 * says), and the host's marker of its snapshot metadata ({@link Host#snapshotStamp}: locally the stamp of libvirt's
 * metadata directory, which every change moves, by ESM or by {@code virsh}). Any difference, or a marker too recent to
 * be trusted, and the tree is read in full, as without an index; a full read writes the index again when the lock is
 * free and names, current snapshot and marker are the same after it as before. Every operation of ESM removes the
 * index when it takes the domain's lock ({@link DomainLock}), so a change that keeps the names and the current snapshot
 * (over a remote URI, where there is no marker) is not hidden either. What is left unseen there: a redefinition behind
 * ESM's back (with {@code virsh}) of a snapshot that is not the current one, keeping its name; and an operation that
 * keeps every name and the current snapshot run wholly within another client's full read of the tree (that reader
 * may write the index it read before the operation).
 *
 * <p>Thread-safety: thread-safe; the last decoded index is a volatile immutable pair; two reads at once may both
 * read in full and both write the same index.
 */
final class TreeIndex {
    private static final Logger LOG = LoggerFactory.getLogger(TreeIndex.class);

    private final Host host;
    private final String domain;
    private final String key;
    private final ParsedSnapshots parsed;
    /** Whether the domain's lock is held by anyone (an operation may be part-way). */
    private final BooleanSupplier locked;
    private volatile Decoded last;

    private record Decoded(String text, TreeIndexFormat.Index index) {
    }

    /** The snapshots and current snapshot of one read. */
    record Snapshots(List<SnapshotDefinition> definitions, Optional<String> current) {
    }

    /**
     * @param key the domain's key in the state store
     * @param locked whether the domain's lock is held now
     */
    TreeIndex(Host host, String domain, String key, ParsedSnapshots parsed, BooleanSupplier locked) {
        this.host = host;
        this.domain = domain;
        this.key = key;
        this.parsed = parsed;
        this.locked = locked;
    }

    /** @return every snapshot (without XML when it came from the index) and the current one, as a full read gives */
    Snapshots read() {
        Optional<List<String>> names = host.snapshotNames(domain);
        if (names.isEmpty()) {
            return full();
        }
        Optional<String> stamp = host.snapshotStamp(domain);
        Optional<SnapshotDefinition> current = host.currentSnapshotXml(domain).map(parsed::parseOne);
        if (stamp.isPresent()) {
            Optional<List<SnapshotDefinition>> fromIndex = fromIndex(names.get(), stamp.get(), current);
            if (fromIndex.isPresent()) {
                return new Snapshots(fromIndex.get(), current.map(SnapshotDefinition::name));
            }
        }
        boolean wasFree = !locked.getAsBoolean();
        Snapshots all = full();
        if (wasFree && stamp.isPresent()) {
            store(all, names.get(), stamp.get(), current);
        }
        return all;
    }

    private Snapshots full() {
        List<SnapshotDefinition> defs = parsed.parse(host.snapshotXmls(domain));
        return new Snapshots(defs, host.currentSnapshot(domain));
    }

    /** @return the snapshots from the index, when it agrees with libvirt's names, current snapshot and marker */
    private Optional<List<SnapshotDefinition>> fromIndex(List<String> names, String stamp,
                                                         Optional<SnapshotDefinition> current) {
        Optional<TreeIndexFormat.Index> found = load();
        if (found.isEmpty()) {
            LOG.debug("domain '{}': no tree index", domain);
            return Optional.empty();
        }
        TreeIndexFormat.Index index = found.get();
        if (!index.stamp().equals(stamp) || !index.current().equals(current.map(SnapshotDefinition::name))
                || index.snapshots().size() != names.size()) {
            LOG.debug("domain '{}': the tree index is stale (marker, current snapshot or count)", domain);
            return Optional.empty();
        }
        Map<String, SnapshotDefinition> byName = new HashMap<>(names.size() * 4 / 3 + 1);
        for (SnapshotDefinition s : index.snapshots()) {
            byName.put(s.name(), s);
        }
        List<SnapshotDefinition> out = new ArrayList<>(names.size());
        for (String n : names) {
            SnapshotDefinition s = byName.get(n);
            if (s == null) {
                LOG.debug("domain '{}': the tree index is stale (snapshot '{}' is new)", domain, n);
                return Optional.empty();
            }
            out.add(s);
        }
        if (current.isPresent() && !TreeIndexFormat.withoutXml(current.get()).equals(byName.get(current.get().name()))) {
            LOG.debug("domain '{}': the tree index is stale (the current snapshot changed)", domain);
            return Optional.empty();
        }
        LOG.debug("domain '{}': {} snapshots from the tree index", domain, out.size());
        return Optional.of(out);
    }

    private Optional<TreeIndexFormat.Index> load() {
        Optional<String> text = host.stateStore().readTreeIndex(key);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Decoded d = last;
        if (d != null && d.text().equals(text.get())) {
            return Optional.of(d.index());
        }
        Optional<TreeIndexFormat.Index> index = TreeIndexFormat.decode(text.get());
        index.ifPresent(i -> last = new Decoded(text.get(), i));
        return index;
    }

    /** Writes the index of a full read, when nothing changed during it and no operation was under way. */
    private void store(Snapshots all, List<String> names, String stamp, Optional<SnapshotDefinition> current) {
        if (!host.snapshotNames(domain).equals(Optional.of(names))
                || !host.snapshotStamp(domain).equals(Optional.of(stamp))
                || !host.currentSnapshotXml(domain).map(parsed::parseOne).equals(current)
                || !all.current().equals(current.map(SnapshotDefinition::name))
                || !new HashSet<>(names).equals(namesOf(all.definitions()))
                || locked.getAsBoolean()) { // last, just before the write: an operation removes the index once
            LOG.debug("domain '{}': the snapshots changed while read; the tree index is left as it is", domain);
            return;
        }
        List<SnapshotDefinition> lean = all.definitions().stream().map(TreeIndexFormat::withoutXml).toList();
        TreeIndexFormat.Index index = new TreeIndexFormat.Index(stamp, all.current(), lean);
        String text = TreeIndexFormat.encode(index);
        try {
            host.stateStore().writeTreeIndex(key, text);
            last = new Decoded(text, index);
            LOG.debug("domain '{}': tree index written ({} snapshots, {} bytes)", domain, lean.size(), text.length());
        } catch (RuntimeException e) {
            LOG.debug("domain '{}': the tree index could not be written: {}", domain, e.toString());
        }
    }

    private static Set<String> namesOf(List<SnapshotDefinition> defs) {
        Set<String> out = new HashSet<>();
        defs.forEach(d -> out.add(d.name()));
        return out;
    }

    /** Removes the index (an operation is about to change, or has changed, the domain's snapshots). */
    void drop() {
        host.stateStore().removeTreeIndex(key);
    }
}
