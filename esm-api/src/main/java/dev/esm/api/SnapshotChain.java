package dev.esm.api;

import dev.esm.api.errors.SnapshotNotFoundException;
import java.util.List;
import java.util.Optional;

/**
 * The read model: an immutable view of one domain's snapshot tree at one moment.
 *
 * <p>The tree's root is the base (when the domain was set up, or once a first snapshot froze the images the
 * domain had); each snapshot's parent is the snapshot that was current when it was taken. Reverting and then
 * taking a snapshot starts a branch. The <em>current</em> snapshot is the one the active layer was started
 * from, by a create, a revert or a refresh.
 *
 * <p>Thread-safety: immutable, safe to share.
 */
public interface SnapshotChain {

    /** @return the domain's name */
    String domain();

    /** @return the base pseudo-snapshot, if the base images are frozen (by setup or by a first snapshot) */
    Optional<Snapshot> base();

    /** @return every snapshot, base excluded, oldest first */
    List<Snapshot> snapshots();

    /** @return the current snapshot (possibly the base); empty before anything froze the base */
    Optional<Snapshot> current();

    /**
     * @param name a snapshot name, or {@value DomainSnapshots#BASE}
     * @return the snapshot, if it exists
     */
    Optional<Snapshot> find(String name);

    /**
     * @param name a snapshot name, or {@value DomainSnapshots#BASE}
     * @return the snapshot
     * @throws SnapshotNotFoundException if it does not exist
     */
    default Snapshot get(String name) {
        return find(name).orElseThrow(() -> new SnapshotNotFoundException(
                "domain '" + domain() + "' has no snapshot '" + name + "'"
                        + (snapshots().isEmpty() ? "; it has no snapshots at all" : "; it has: " + names())));
    }

    /**
     * @param name a snapshot name, or {@value DomainSnapshots#BASE}
     * @return the snapshots taken with it current, oldest first (for the base: the snapshots without a parent)
     */
    List<Snapshot> children(String name);

    /**
     * @param name a snapshot name
     * @return its parent; the base for a snapshot taken on the base; empty for the base itself
     */
    Optional<Snapshot> parent(String name);

    /** @return the snapshot names, oldest first, as one comma-separated string */
    default String names() {
        return String.join(", ", snapshots().stream().map(Snapshot::name).toList());
    }

    /**
     * Renders the tree as text, one snapshot a line, children indented below their parent, snapshots with memory
     * state marked {@code [memory]}, the current one marked with {@code *}.
     *
     * @return the rendered tree, ending with a line break
     */
    String render();
}
