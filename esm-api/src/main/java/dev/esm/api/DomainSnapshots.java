package dev.esm.api;

import dev.esm.api.errors.InvalidNameException;
import dev.esm.api.errors.SnapshotNotFoundException;
import java.util.List;

/**
 * The snapshots of one domain, and the commands that change them. Obtained from
 * {@link SnapshotManager#domain(String)}.
 *
 * <p>Every method that changes something returns a single-use {@link Command}: set its options, then call its
 * verb, or {@link Command#plan()} to see the steps without running them.
 *
 * <p>Thread-safety: safe to share. Changing commands on one domain are serialised within the process; a
 * second one started while the first runs waits a bounded time, then fails with
 * {@link dev.esm.api.errors.DomainBusyException}.
 */
public interface DomainSnapshots {

    /** The reserved name that denotes the base images. */
    String BASE = "base";

    /** @return the domain's name */
    String name();

    /** @return the domain's state right now */
    DomainState state();

    /** @return every disk of the domain, with whether it takes part in snapshots and, if not, why */
    List<Disk> disks();

    /** @return the snapshot tree as it is now: an immutable copy, read with one round of libvirt calls */
    SnapshotChain chain();

    /**
     * Reads one snapshot with the size of each of its images.
     *
     * @param name a snapshot name, or {@value #BASE}
     * @return the snapshot and its images' sizes
     * @throws SnapshotNotFoundException if there is no such snapshot
     */
    SnapshotInfo info(String name);

    /**
     * Organises a shut-off domain for snapshots: moves each eligible disk's image to
     * {@code directory/disks/<stem>.base}, freezes those base images and puts the domain on fresh overlays, so
     * that {@code revert base} and {@code refresh} work from the first minute. Refuses once snapshots exist.
     *
     * @param directory a folder on the domain's host; {@code disks} is created in it
     * @return the command; run it with {@link SetupCommand#execute()}
     */
    SetupCommand setup(String directory);

    /**
     * Takes a snapshot of all eligible disks at once (all or none), shut off or running.
     *
     * @param name the new snapshot's name; see {@link SnapshotName} for the rules
     * @return the command; run it with {@link CreateCommand#create()}
     * @throws InvalidNameException at once if the name breaks the rules
     */
    CreateCommand snapshot(String name);

    /**
     * Puts the domain's disks on fresh empty overlays on top of a snapshot's images. The snapshot itself is
     * not touched, so reverting to it again gives the same content. Changes since the last create, revert or
     * refresh are discarded.
     *
     * @param name a snapshot name, or {@value #BASE}
     * @return the command; run it with {@link RevertCommand#execute()}
     */
    RevertCommand revert(String name);

    /**
     * Reverts to the current snapshot (or the base): discards every change made since the last create,
     * revert or refresh.
     *
     * @return the command; run it with {@link RevertCommand#execute()}
     */
    RevertCommand refresh();
}
