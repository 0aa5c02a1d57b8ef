package dev.esm.core.engine;

import dev.esm.api.CommitCommand;
import dev.esm.api.CreateCommand;
import dev.esm.api.DeleteCommand;
import dev.esm.api.Disk;
import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.ImageInfo;
import dev.esm.api.Recovery;
import dev.esm.api.RevertCommand;
import dev.esm.api.Settings;
import dev.esm.api.SetupCommand;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.SnapshotInfo;
import dev.esm.core.port.Host;
import dev.esm.core.xml.DomainXml;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link DomainSnapshots} over the port: the reads, and a factory of one command class per verb
 * ({@link CoreSetupCommand}, {@link CoreCreateCommand}, {@link CoreRevertCommand}, {@link CoreDeleteCommand},
 * {@link CoreCommitCommand}). Thread-safe; see {@link CoreSnapshotManager}.
 */
final class CoreDomainSnapshots implements DomainSnapshots {

    private final DomainContext ctx;
    private final Host host;
    private final String name;

    CoreDomainSnapshots(Host host, String name, Clock clock, StepListener faults, Settings settings,
                        ReentrantLock lock, ParsedSnapshots parsed) {
        this.ctx = new DomainContext(host, name, clock, faults, settings, lock, parsed);
        this.host = host;
        this.name = name;
    }

    /** Called when the domain is opened: finishes an operation a stopped process left, if any. */
    void recoverIfUnfinished() {
        // Not while the lock is held: its holder is running the operation (or, if it died, the next change takes
        // the lock over and recovers): opening a domain for a read never waits.
        if (ctx.journals.present() && ctx.lock.holder().isEmpty()) {
            recover();
        }
    }

    @Override
    public Optional<String> operationInProgress() {
        return ctx.lock.holder().map(h -> "an operation on domain '" + name + "' may be in progress: its lock is held"
                + " by " + h.describe());
    }

    @Override
    public dev.esm.api.MoveCommand moveTo(dev.esm.api.SnapshotManager target) {
        return new CoreMoveCommand(ctx, target);
    }

    @Override
    public dev.esm.api.ReplicateCommand replicateTo(dev.esm.api.SnapshotManager target) {
        return new CoreReplicateCommand(ctx, target);
    }

    @Override
    public boolean recover() {
        return ctx.lock.locked(ctx::recoverLocked);
    }

    @Override
    public Optional<Recovery> lastRecovery() {
        return ctx.lastRecovery();
    }

    /** @return what {@link #check()} finds, for a caller that holds the domain's lock itself */
    List<dev.esm.api.Finding> checkHeld() {
        return Verifier.verify(host, ctx.views.graphed(ctx.views.view(), true), ctx.journals.present());
    }

    /**
     * Reads without taking the domain's lock, so it never waits for a running operation: when the lock is held (before
     * or after the read), what was read may be part-way through an operation, and the one finding says so, naming
     * the holder.
     */
    @Override
    public List<dev.esm.api.Finding> check() {
        Optional<dev.esm.core.port.StateStore.LockHolder> before = ctx.lock.holder();
        if (before.isPresent()) {
            return List.of(inProgress(before.get()));
        }
        List<dev.esm.api.Finding> found = Verifier.verify(host, ctx.views.graphed(ctx.views.view(), true),
                ctx.journals.present());
        Optional<dev.esm.core.port.StateStore.LockHolder> after = ctx.lock.holder();
        return after.isPresent() ? List.of(inProgress(after.get())) : found;
    }

    private dev.esm.api.Finding inProgress(dev.esm.core.port.StateStore.LockHolder holder) {
        return new dev.esm.api.Finding(dev.esm.api.Finding.Kind.OPERATION_IN_PROGRESS, Optional.empty(),
                Optional.empty(), Optional.empty(), "an operation on domain '" + name + "' may be in progress (its lock"
                + " is held by " + holder.describe() + "); verify again when it has finished");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public DomainState state() {
        return host.state(name);
    }

    @Override
    public List<Disk> disks() {
        return DomainXml.parse(host.domainXml(name, true)).disks().stream().map(d -> d.toApi()).toList();
    }

    @Override
    public int chainLength() {
        return chainLength(Integer.MAX_VALUE);
    }

    /** @return the longest chain's length, counting no further than {@code max} */
    private int chainLength(int max) {
        int longest = 0;
        for (DiskImage top : DomainXml.parse(host.domainXml(name, true)).activeImages()) {
            int n = 0;
            Set<String> seen = new HashSet<>();
            for (Optional<DiskImage> img = Optional.of(top); img.isPresent() && seen.add(img.get().path()) && n < max;
                 n++) {
                img = host.storage().backing(img.get().path(), img.get().format());
            }
            longest = Math.max(longest, n);
        }
        return longest;
    }

    @Override
    public SnapshotChain chain() {
        return ctx.views.forTree().tree();
    }

    @Override
    public Optional<Snapshot> find(String snapshot) {
        if (DomainSnapshots.BASE.equals(snapshot)) {
            return chain().find(snapshot); // ESM's record or the oldest snapshot: needs the domain and the tree
        }
        return ctx.views.snapshot(snapshot).map(d -> d.toApi());
    }

    @Override
    public SnapshotInfo info(String snapshot) {
        Snapshot s = find(snapshot).orElseGet(() -> chain().get(snapshot)); // get's error names the snapshots
        List<ImageInfo> infos = s.images().stream()
                .map(i -> host.storage().info(i.path(), i.format()))
                .toList();
        OptionalLong memory = s.memoryFile().filter(host.storage()::exists)
                .map(m -> OptionalLong.of(host.storage().size(m))).orElse(OptionalLong.empty());
        return new SnapshotInfo(s, infos, memory);
    }

    @Override
    public SetupCommand setup(String directory) {
        return new CoreSetupCommand(ctx, directory);
    }

    @Override
    public CreateCommand snapshot(String snapshot) {
        return new CoreCreateCommand(ctx, snapshot);
    }

    @Override
    public RevertCommand revert(String snapshot) {
        return new CoreRevertCommand(ctx, snapshot, false);
    }

    @Override
    public RevertCommand refresh() {
        return new CoreRevertCommand(ctx, null, true);
    }

    @Override
    public DeleteCommand delete(String snapshot) {
        return new CoreDeleteCommand(ctx, snapshot);
    }

    @Override
    public CommitCommand commit(String base, String top) {
        return new CoreCommitCommand(ctx, base, top);
    }

    @Override
    public String toString() {
        return "DomainSnapshots[" + name + " @ " + host.uri() + "]";
    }
}
