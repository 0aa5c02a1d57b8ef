package dev.esm.api;

import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.api.errors.InvalidNameException;
import dev.esm.api.errors.SnapshotNotFoundException;
import java.util.List;
import java.util.Optional;

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

    /**
     * @return the domain's state right now
     * @throws dev.esm.api.errors.DomainNotFoundException if the domain was removed meanwhile
     * @throws dev.esm.api.errors.HypervisorException if libvirt cannot be asked
     */
    DomainState state();

    /**
     * @return every disk of the domain, with whether it takes part in snapshots and, if not, why
     * @throws dev.esm.api.errors.DomainNotFoundException if the domain was removed meanwhile
     * @throws dev.esm.api.errors.HypervisorException if libvirt cannot be asked
     */
    List<Disk> disks();

    /**
     * libvirt refuses to start a domain whose disk chain holds more than this many images (and libvirt 11.3 with
     * QEMU 10 fails to start one of 26). ESM keeps every chain within {@link Settings#maxChainDepth()}, 16 images by
     * default, however many snapshots a domain has.
     */
    int LIBVIRT_CHAIN_LIMIT = 200;

    /**
     * @return the number of images in the longest disk chain the domain runs on: its active layer and every
     *         image below it (compare with {@link #LIBVIRT_CHAIN_LIMIT})
     * @throws dev.esm.api.errors.StorageException if an image header cannot be read
     * @throws dev.esm.api.errors.HypervisorException if libvirt cannot be asked
     */
    int chainLength();

    /**
     * @return the snapshot tree as it is now: an immutable copy, read with one round of libvirt calls
     * @throws dev.esm.api.errors.DomainNotFoundException if the domain was removed meanwhile
     * @throws dev.esm.api.errors.HypervisorException if libvirt cannot be asked
     */
    SnapshotChain chain();

    /**
     * Reads one snapshot alone: one lookup and one description from libvirt, however many snapshots the domain
     * has ({@link #chain()} reads them all). Gives what {@code chain().find(name)} gives.
     *
     * @param name a snapshot name, or {@value #BASE} (the base is read with the whole tree)
     * @return the snapshot, or empty when the domain has none of that name
     * @throws DomainNotFoundException if the domain is gone
     */
    Optional<Snapshot> find(String name);

    /**
     * @param name a snapshot name, or {@value #BASE}
     * @return whether the domain has a snapshot of that name, at the cost of {@link #find}
     * @throws DomainNotFoundException if the domain is gone
     */
    default boolean exists(String name) {
        return find(name).isPresent();
    }

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
     * Takes a snapshot of all eligible disks at once (all or none), shut off or running; with
     * {@link CreateCommand#memory()}, of the running domain's memory and device state too.
     *
     * @param name the new snapshot's name; see {@link SnapshotName} for the rules
     * @return the command; run it with {@link CreateCommand#create()}
     * @throws InvalidNameException at once if the name breaks the rules
     */
    CreateCommand snapshot(String name);

    /**
     * Puts the domain's disks on fresh empty overlays on top of a snapshot's images. The snapshot itself is
     * not touched, so reverting to it again gives the same content. Changes since the last create, revert or
     * refresh are discarded. A snapshot with memory can be reverted to a running or paused domain
     * ({@link RevertCommand#running()}, {@link RevertCommand#paused()}); otherwise the domain is left shut off.
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

    /**
     * Removes a snapshot; every other snapshot and the current state keep exactly their contents. Data in its
     * images that others still need is merged (block commit: live through libvirt when the domain runs on those
     * images, else offline with {@code qemu-img commit}); when merging would mean copying it into several
     * children, the image is kept as an unnamed node instead. Images nobody needs any more are removed. Deleting
     * the current snapshot makes its parent current. The base cannot be deleted.
     *
     * @param name a snapshot name
     * @return the command; run it with {@link DeleteCommand#execute()}
     */
    DeleteCommand delete(String name);

    /**
     * Shortens the chain between two snapshots on one path: every snapshot after {@code base} up to and
     * including {@code top} is removed, in one merge job per disk; {@code base} and the current state keep
     * their contents. Refused (changing nothing) where the merge would write into an image that another branch
     * or snapshot stands on. Live or offline, like {@link #delete(String)}.
     *
     * @param base a snapshot name or {@value #BASE}; kept
     * @param top a descendant of {@code base}; removed with everything between
     * @return the command; run it with {@link CommitCommand#execute()}
     */
    CommitCommand commit(String base, String top);

    /**
     * Moves this domain with its whole snapshot tree to the host {@code target} is connected to (see
     * {@link MoveCommand}).
     *
     * @param target a manager connected to the other host; it stays open, and the caller's
     * @return a command to run
     */
    default MoveCommand moveTo(SnapshotManager target) {
        throw new UnsupportedOperationException("this implementation cannot move domains");
    }

    /**
     * Sends what is new in this domain's snapshot tree to a standby copy on the host {@code target} is connected to
     * (see {@link ReplicateCommand}).
     *
     * @param target a manager connected to the other host; it stays open, and the caller's
     * @return a command to run
     */
    default ReplicateCommand replicateTo(SnapshotManager target) {
        throw new UnsupportedOperationException("this implementation cannot replicate domains");
    }

    /**
     * Finishes or undoes an operation that a stopped process left unfinished (ESM keeps a journal of every
     * changing operation). Undone when only files had been created, completed otherwise. Changing commands and
     * {@link SnapshotManager#domain(String)} do this by themselves; this is for tools that want to say so.
     *
     * @return whether there was an unfinished operation
     * @throws dev.esm.api.errors.DomainBusyException if another operation holds the domain past the lock wait
     * @throws dev.esm.api.errors.HypervisorException if libvirt fails while the operation is finished; the journal stays
     */
    boolean recover();

    /**
     * @return what the last recovery on this handle did: the one {@link #recover()} or a changing command ran, or the
     *     one run when the domain was opened; empty when there was none
     */
    default java.util.Optional<Recovery> lastRecovery() {
        return java.util.Optional.empty();
    }

    /**
     * Checks the domain, its snapshots, libvirt's metadata and every image chain against each other, changing
     * nothing: every snapshot's images exist and their chains end at the base; memory files exist; the active
     * layer stands on the current snapshot and is no snapshot's frozen image; every chain opens as QEMU would open
     * it (backing files reachable, formats recorded, sizes that do not shrink, encryption where libvirt can serve
     * it); no stray file in ESM's folder; no unfinished operation. Never waits and never takes the domain's lock:
     * while another client (or thread) holds it, what is read may be part-way through its operation, so the one
     * finding returned is {@link Finding.Kind#OPERATION_IN_PROGRESS}, naming the holder.
     *
     * @return the problems found, each with its kind, snapshot, disk and file; empty when all is consistent
     * @throws dev.esm.api.errors.HypervisorException if libvirt cannot be asked
     */
    List<Finding> check();

    /**
     * Says whether an operation may be changing the domain right now, read without taking its lock or waiting (one
     * call to the host): reads such as {@link #chain()} never wait for a running operation, and may show it part-way.
     *
     * @return who holds the domain's lock (a client, its process and machine) and since when if known; empty when
     *         nobody does
     */
    Optional<String> operationInProgress();

    /**
     * {@link #check()} as sentences, for people.
     *
     * @return the problems found, one sentence each; empty when all is consistent
     * @throws dev.esm.api.errors.DomainBusyException if another operation holds the domain past the lock wait
     * @throws dev.esm.api.errors.HypervisorException if libvirt cannot be asked
     */
    default List<String> verify() {
        return check().stream().map(Finding::message).toList();
    }
}
