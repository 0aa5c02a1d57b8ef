package dev.esm.core.engine;

import dev.esm.api.DomainState;
import dev.esm.api.Finding;
import dev.esm.api.Operation;
import dev.esm.api.ProgressListener;
import dev.esm.api.Replication;
import dev.esm.api.SnapshotManager;
import dev.esm.api.errors.DomainStateException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.UnsupportedDiskException;
import dev.esm.core.model.DiskDef;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.ReplicaRecord;
import dev.esm.core.plan.TransferJournal;
import dev.esm.core.plan.TransferPlan;
import dev.esm.core.plan.TransferPlanner;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Host;
import dev.esm.core.port.StateStore;
import dev.esm.core.xml.DomainXml;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a move and a replication share: the refusals before anything moves, the reads and the plan, and the run under
 * both hosts' locks (the domain's lock here, and its lease or lock file on the target by the same UUID), after
 * finishing any transfer a stopped process left. Thread-safety: one per command.
 */
final class Transfer {
    private final DomainContext ctx;
    private final SnapshotManager targetManager;
    private final Host target;
    private final Operation operation;

    Transfer(DomainContext ctx, SnapshotManager targetManager, Operation operation) {
        this.ctx = ctx;
        this.targetManager = targetManager;
        if (!(targetManager instanceof PortBacked backed)) {
            throw new IllegalArgumentException("the target must be a manager made by SnapshotManager.connect or"
                    + " builder, not " + targetManager.getClass().getName());
        }
        this.target = backed.port();
        this.operation = operation;
        if (target.uri().equals(ctx.host.uri())) {
            throw new InvalidOperationException("the target is this host (" + target.uri() + "): give a manager"
                    + " connected to another host");
        }
    }

    private record Planned(TransferPlan plan, ReplicaRecord held, boolean targetHadDomain, TransferKeys keys) {
    }

    /** @return the plan, read and made now, without running anything */
    TransferPlan plan(Optional<String> directory, Optional<Optional<String>> live) {
        return planned(directory, live).plan();
    }

    private Planned planned(Optional<String> directory, Optional<Optional<String>> live) {
        DomainView view = ctx.views.view();
        boolean running = view.state() != DomainState.SHUTOFF;
        if (operation == Operation.MOVE && running && live.isEmpty()) {
            throw new DomainStateException("domain '" + ctx.name + "' is " + view.state().name().toLowerCase()
                    + ": move it live (live(), esm move --live), or shut it down first");
        }
        for (DiskDef d : view.persistent().disks()) {
            if (!d.eligible() && d.source().isPresent() && "disk".equals(d.device())) {
                throw new UnsupportedDiskException("disk " + d.target() + " of domain '" + ctx.name + "' ("
                        + d.source().get() + ") is not one ESM manages (" + d.ineligibility() + "), so a "
                        + operation.name().toLowerCase() + " would not carry it: detach it first");
            }
        }
        if (operation == Operation.MOVE) {
            refuseMachineTheTargetLacks(view);
            if (running && live.isPresent()) {
                refuseCpuTheTargetLacks(view);
            }
        }
        String uuid = view.persistent().uuid();
        TransferKeys keys = new TransferKeys(uuid);
        ReplicaRecord held = target.stateStore().readJournal(keys.replica()).map(ReplicaRecord::read)
                .orElse(ReplicaRecord.empty());
        boolean targetHadDomain = targetHas(uuid, held);
        boolean shared = SharedStorage.seen(ctx.host.storage(), target.storage(), view);
        List<dev.esm.core.plan.TransferFile> files = new TransferReads(ctx.host.storage()).files(view);
        TransferPlan plan = TransferPlanner.plan(new TransferPlanner.Input(operation, view.persistent(),
                view.snapshots(), view.libvirtCurrent(), files, directory, held, shared,
                running ? live : Optional.empty(), view.state() == DomainState.PAUSED));
        return new Planned(plan, held, targetHadDomain, keys);
    }

    /** Refuses a domain whose machine type the target's QEMU does not offer (libvirt would, after every copy). */
    private void refuseMachineTheTargetLacks(DomainView view) {
        Optional<java.util.Map.Entry<String, String>> machine = DomainXml.machine(view.persistent().xml());
        if (machine.isEmpty()) {
            return;
        }
        Optional<java.util.Set<String>> offered = target.machineTypes(machine.get().getKey());
        if (offered.isPresent() && !offered.get().contains(machine.get().getValue())) {
            throw new InvalidOperationException("domain '" + ctx.name + "' runs on machine type "
                    + machine.get().getValue() + ", which the QEMU of " + target.uri() + " does not offer for "
                    + machine.get().getKey() + ": move it to a host whose QEMU has it, or give the domain a machine"
                    + " type both hosts offer");
        }
    }

    /**
     * Refuses a running domain whose guest CPU the target's hypervisor cannot give (libvirt would, before the guest
     * stops, but after every frozen file was copied).
     */
    private void refuseCpuTheTargetLacks(DomainView view) {
        Optional<dev.esm.core.model.GuestCpu> cpu = DomainXml.guestCpu(view.active().xml()); // the live definition
        Optional<String> refusal = cpu.flatMap(target::cpuRefusal);
        if (refusal.isPresent()) {
            throw new InvalidOperationException("the guest CPU of domain '" + ctx.name + "' is not one "
                    + target.uri() + " can run (" + refusal.get() + "): move it to a host that can, shut it down"
                    + " and move it offline with a CPU model both hosts offer, or give it such a model");
        }
    }

    /** @return whether the target has this domain as a standby; refuses a different domain in its place */
    private boolean targetHas(String uuid, ReplicaRecord held) {
        Optional<String> byUuid = target.domainByUuid(uuid);
        boolean byName;
        try {
            target.state(ctx.name);
            byName = true;
        } catch (dev.esm.api.errors.DomainNotFoundException none) {
            byName = false;
        }
        if (byName && byUuid.filter(ctx.name::equals).isEmpty()) {
            throw new InvalidOperationException("a different domain named '" + ctx.name + "' is defined on "
                    + target.uri() + ": rename or remove one of them first");
        }
        if (byUuid.isPresent() && !byUuid.get().equals(ctx.name)) {
            throw new InvalidOperationException("domain '" + byUuid.get() + "' on " + target.uri() + " has the UUID of '"
                    + ctx.name + "' (" + uuid + "): rename or remove it first");
        }
        if (byName && held.files().isEmpty()) {
            throw new InvalidOperationException("domain '" + ctx.name + "' is already defined on " + target.uri()
                    + " and is not a standby ESM replicated there: remove it there first");
        }
        if (byName && target.state(ctx.name) != DomainState.SHUTOFF) {
            throw new DomainStateException("the standby of '" + ctx.name + "' on " + target.uri() + " is running:"
                    + " shut it down first");
        }
        return byName;
    }

    /** Runs it under both locks, after finishing one a stopped process left. */
    Replication execute(Optional<String> directory, Optional<Optional<String>> live, ProgressListener progress,
                        Cancellation cancel) {
        return ctx.lock.locked(() -> {
            String uuid = DomainXml.parse(ctx.host.domainXml(ctx.name, false)).uuid();
            TransferKeys keys = new TransferKeys(uuid);
            try (StateStore.Lease lease = target.stateStore().lock(uuid, ctx.lockWait)) {
                recoverLeft(keys); // with this target, before the domain's own recovery looks for it by URI
                ctx.recoverLocked();
                Events events = ctx.events.about(target.uri());
                java.time.Instant started = events.now();
                Planned p;
                try {
                    p = planned(directory, live);
                    TransferSpace.check(target, p.plan());
                    TransferCollisions.check(target, p.plan(), p.held(), p.targetHadDomain()
                            ? Optional.of(DomainXml.parse(target.domainXml(ctx.name, false))) : Optional.empty());
                } catch (RuntimeException refused) {
                    events.operationFinished(operation, target.uri(), started, 0, refused);
                    throw refused;
                }
                int steps = p.plan().steps().size();
                events.operationStarted(operation, target.uri(), steps, started);
                cancel.runningOn(Thread.currentThread());
                try {
                    Replication sent = new TransferRun(ctx.host, target, ctx.name, keys)
                            .reachedBy(ctx.access, ((PortBacked) targetManager).imageAccess()).run(p.plan(), p.held(),
                            p.targetHadDomain(), this::verifyTarget, ctx.faults, progress, cancel, events);
                    events.operationFinished(operation, target.uri(), started, steps, null);
                    return sent;
                } catch (RuntimeException failed) {
                    events.operationFinished(operation, target.uri(), started, steps, failed);
                    throw failed;
                }
            }
        });
    }

    /** Finishes, with this target, a transfer a stopped process left (refused when it went to another host). */
    private void recoverLeft(TransferKeys keys) {
        Optional<TransferJournal> left = ctx.host.stateStore().readJournal(keys.journal()).map(TransferJournal::read);
        if (left.isEmpty()) {
            return;
        }
        if (!left.get().target().equals(target.uri())) {
            throw new InvalidOperationException("domain '" + ctx.name + "' has an unfinished "
                    + left.get().operation().name().toLowerCase() + " to " + left.get().target()
                    + ": run it again to that host (or recover the domain) first");
        }
        if (new TransferEnds(ctx.host, target, ctx.name, keys).recover(left.get())) {
            throw new DomainStateException("domain '" + ctx.name + "' had been moved to " + target.uri()
                    + " by an earlier run, now completed: it is no longer on this host");
        }
    }

    /** @return what is wrong with the domain on the target, as messages */
    private List<String> verifyTarget() {
        List<String> problems = new ArrayList<>();
        for (Finding f : ((PortBacked) targetManager).verifyHeld(ctx.name)) {
            problems.add(f.message());
        }
        return problems;
    }
}
