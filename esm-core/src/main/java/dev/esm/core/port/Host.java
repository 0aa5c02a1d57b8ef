package dev.esm.core.port;

import dev.esm.api.DomainState;
import dev.esm.api.errors.DomainNotFoundException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What ESM needs of a hypervisor connection. Domains are named by their libvirt name. Every method either does
 * its whole job or throws an {@link dev.esm.api.errors.EsmException} (libvirt errors as
 * {@link dev.esm.api.errors.HypervisorException}). Implementations are thread-safe.
 */
public interface Host extends AutoCloseable {

    /** @return the connection URI */
    String uri();

    /**
     * @return the domain's state
     * @throws DomainNotFoundException if there is no such domain
     */
    DomainState state(String domain);

    /**
     * @param live the running definition (when the domain runs) rather than the persistent one
     * @return the domain's XML, secure parts included (for faithful redefinition)
     */
    String domainXml(String domain, boolean live);

    /** Defines (replaces) a domain's persistent definition. */
    void defineDomain(String xml);

    /** Starts a shut-off domain. */
    void startDomain(String domain);

    /** Powers a running domain off at once. */
    void stopDomain(String domain);

    /**
     * Reads the domain definition saved in a memory (save) file, without changing the file.
     *
     * @param file a memory file written by a snapshot with memory
     * @return the domain XML in it, secure parts included
     */
    String savedDomainXml(String file);

    /**
     * Starts a shut-off domain from a memory file (libvirt restore), with {@code domainXml} in place of the
     * definition saved in the file (same devices; disk sources may differ). The file is only read; the domain's
     * persistent definition is left as it is.
     *
     * @param paused leave the domain paused rather than running
     */
    void restore(String domain, String file, String domainXml, boolean paused);

    /**
     * An implementation may answer from a cache, but every answer must reflect every change made before the call
     * began, by ESM or by anyone else (another process, {@code virsh}); where it cannot tell, it reads in full.
     *
     * @return the full XML of every snapshot of the domain, secure parts included
     */
    List<String> snapshotXmls(String domain);

    /** @return how many snapshots the domain has (one cheap call) */
    int snapshotCount(String domain);

    /**
     * The names of the domain's snapshots in one call, for checking an index of the tree against libvirt without
     * reading every snapshot. The default has no such call: trees are then read in full.
     *
     * @return the names, in the order {@link #snapshotXmls} gives the snapshots; empty when the port cannot list
     *         them in one call
     */
    default Optional<List<String>> snapshotNames(String domain) {
        return Optional.empty();
    }

    /**
     * A marker of the domain's snapshot metadata that changes with every change to it (by ESM or anyone else), read
     * without reading the snapshots: locally, the stamp of libvirt's snapshot metadata directory.
     *
     * @return the marker; {@code ""} when the port keeps none (an index is then checked against the names and the
     *         current snapshot alone); empty when there is one but it is too recent to tell a change from the next
     */
    default Optional<String> snapshotStamp(String domain) {
        return Optional.of("");
    }

    /** @return the full XML of one snapshot (from a cache only as {@link #snapshotXmls} allows) */
    String snapshotXml(String domain, String name);

    /** @return the name of libvirt's current snapshot, if any */
    Optional<String> currentSnapshot(String domain);

    /**
     * @return the full XML of libvirt's current snapshot, if any: what {@link #currentSnapshot} and then
     *         {@link #snapshotXml} give, which a port may read in fewer calls
     */
    default Optional<String> currentSnapshotXml(String domain) {
        return currentSnapshot(domain).map(name -> snapshotXml(domain, name));
    }

    /** Pauses a running domain (its vCPUs stop; QEMU keeps its state). */
    void suspendDomain(String domain);

    /** Lets a paused domain run again. */
    void resumeDomain(String domain);

    /** Takes a snapshot as libvirt does: the parent is libvirt's current snapshot, which then becomes this. */
    void createSnapshot(String domain, String xml, Set<SnapshotFlag> flags);

    /** Rewrites a snapshot's metadata (or adds it back), optionally making it libvirt's current snapshot. */
    void redefineSnapshot(String domain, String xml, boolean makeCurrent);

    /** Removes a snapshot's metadata only (no file is touched); its children are re-parented by libvirt. */
    void deleteSnapshotMetadata(String domain, String name);

    /**
     * Merges {@code top} and every image between it and {@code base} into {@code base} on a running domain
     * (libvirt block commit) and waits until done, reporting progress. For the active layer ({@code active}),
     * the domain is pivoted onto {@code base} at the end. For an intermediate {@code top}, QEMU re-points the
     * image above it at {@code base}. A job that fails or is aborted throws; cancellation aborts the job and
     * throws {@link dev.esm.api.errors.OperationCancelledException}. Either way {@code top} keeps its data. Called
     * for several disks of one domain at once (one thread per disk): each call waits for its own disk's job only.
     */
    void blockCommit(String domain, String disk, String base, String top, boolean active,
                     dev.esm.api.ProgressListener listener, Cancellation cancel);

    /**
     * Pulls into the running domain's active layer of {@code disk} the data of the images between it and
     * {@code anchor}, which becomes its backing image (libvirt block pull with a base), and waits until done,
     * reporting progress. The guest runs on meanwhile and sees no change; no image but the active layer is written.
     * A job that fails or is aborted throws and leaves the chain as it was (the data pulled so far is the data the
     * active layer showed anyway); cancellation aborts the job and throws
     * {@link dev.esm.api.errors.OperationCancelledException}. Called for several disks of one domain at once.
     */
    void blockPull(String domain, String disk, String anchor, dev.esm.api.ProgressListener listener,
                   Cancellation cancel);

    /**
     * Migrates a running domain live to another host ({@link Migration}); on return it runs there, defined with
     * {@code persistentXml}'s paths, and is no longer defined here. A failure leaves it running here.
     *
     * @param domain a running domain
     * @param migration where and what
     */
    void migrate(String domain, Migration migration);

    /** @return this host as the target of a {@link #migrate} on another host's port of the same kind */
    Migration.Target migrationTarget();

    /**
     * @param arch a guest architecture ({@code x86_64})
     * @return the machine types this host's QEMU offers for it (each name and the canonical name it stands for), if
     *         the host can tell
     */
    Optional<Set<String>> machineTypes(String arch);

    /**
     * @param cpu a running guest's CPU, as another host runs it
     * @return why this host's hypervisor cannot give a guest that CPU (the hypervisor's words), empty when it can, or
     *         when this host cannot tell
     */
    Optional<String> cpuRefusal(dev.esm.core.model.GuestCpu cpu);

    /**
     * Removes the domain's persistent definition and its snapshot metadata, keeping every file (images, firmware
     * variables): the last step of moving it away.
     *
     * @param domain a shut-off domain
     */
    void undefineDomain(String domain);

    /**
     * @param uuid a domain's UUID
     * @return the name of the domain this host knows by that UUID, if any
     */
    Optional<String> domainByUuid(String uuid);

    /** @return the files of the domain's host */
    Storage storage();

    /** @return where the domains' journals and locks are kept (this machine's state folder, or the host) */
    StateStore stateStore();

    /** Frees the connection. Idempotent. */
    @Override
    void close();
}
