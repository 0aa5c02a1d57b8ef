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
 * @param images the image graph, when read (delete and commit need it)
 * @param depths the chains of the images a create or revert puts a new active layer on, when they may be too deep
 *               ({@link DepthLimit})
 */
public record DomainView(DomainState state, DomainDefinition persistent, Optional<DomainDefinition> live,
                         List<SnapshotDefinition> snapshots, Optional<String> libvirtCurrent,
                         Optional<dev.esm.core.model.ImageGraph> images,
                         ChainDepths depths) {
    public DomainView {
        snapshots = List.copyOf(snapshots);
        java.util.Objects.requireNonNull(depths, "depths");
    }

    /** A view without chains read. */
    public DomainView(DomainState state, DomainDefinition persistent, Optional<DomainDefinition> live,
                      List<SnapshotDefinition> snapshots, Optional<String> libvirtCurrent,
                      Optional<dev.esm.core.model.ImageGraph> images) {
        this(state, persistent, live, snapshots, libvirtCurrent, images, ChainDepths.NONE);
    }

    /** A view without the image graph. */
    public DomainView(DomainState state, DomainDefinition persistent, Optional<DomainDefinition> live,
                      List<SnapshotDefinition> snapshots, Optional<String> libvirtCurrent) {
        this(state, persistent, live, snapshots, libvirtCurrent, Optional.empty());
    }

    /** @return the image graph, which the engine reads for the operations that need it */
    public dev.esm.core.model.ImageGraph graph() {
        return images.orElseThrow(() -> new IllegalStateException("the image graph was not read"));
    }

    /** @return this view with the image graph */
    public DomainView withGraph(dev.esm.core.model.ImageGraph graph) {
        return new DomainView(state, persistent, live, snapshots, libvirtCurrent, Optional.of(graph), depths);
    }

    /** @return this view with the chains of the images a new active layer is to stand on */
    public DomainView withDepths(ChainDepths read) {
        return new DomainView(state, persistent, live, snapshots, libvirtCurrent, images, read);
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
