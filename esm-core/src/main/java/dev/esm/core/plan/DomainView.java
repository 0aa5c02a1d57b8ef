package dev.esm.core.plan;

import dev.esm.api.DomainState;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.model.SnapshotTree;
import java.util.List;
import java.util.Optional;

/**
 * Everything planning needs to know about one domain, read at one moment.
 *
 * @param state the domain's run state
 * @param persistent its persistent definition
 * @param live its running definition, when it runs
 * @param snapshots libvirt's snapshots
 * @param libvirtCurrent libvirt's current snapshot
 */
public record DomainView(DomainState state, DomainDefinition persistent, Optional<DomainDefinition> live,
                         List<SnapshotDefinition> snapshots, Optional<String> libvirtCurrent) {
    public DomainView {
        snapshots = List.copyOf(snapshots);
    }

    /** @return the domain's name */
    public String name() {
        return persistent.name();
    }

    /** @return the definition whose disks are in use now: the live one when running */
    public DomainDefinition active() {
        return live.orElse(persistent);
    }

    /** @return the snapshot tree */
    public SnapshotTree tree() {
        return SnapshotTree.build(persistent, snapshots, libvirtCurrent);
    }
}
