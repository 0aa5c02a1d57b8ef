package dev.esm.core.engine;

import dev.esm.api.Operation;
import dev.esm.api.ProgressListener;
import dev.esm.api.Replication;
import dev.esm.api.errors.StorageException;
import dev.esm.core.plan.ReplicaRecord;
import dev.esm.core.plan.TransferJournal;
import dev.esm.core.plan.TransferPlan;
import dev.esm.core.plan.TransferStep;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Host;
import dev.esm.core.port.Migration;
import dev.esm.core.xml.SnapshotXml;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a move or replication planned by {@link dev.esm.core.plan.TransferPlanner} between this host ({@code here},
 * as the domain's operations see it, under its lock) and the target: each step in order, the
 * {@link TransferJournal} on this host before each change, the {@link ReplicaRecord} on the target after each frozen
 * file. A failed step is undone at once where it can be, or completed past the point of no return
 * ({@link TransferEnds}). Thread-safety: one per operation, on its thread.
 */
final class TransferRun {
    private static final Logger LOG = LoggerFactory.getLogger(TransferRun.class);

    private final Host here;
    private final Host target;
    private final String domain;
    private final TransferKeys keys;
    /** How it ends when a step fails: undone, or completed past the point of no return. */
    private final TransferEnds ends;
    /** The CRC32C of each file copied so far, by its path here. */
    private final java.util.Map<String, Long> sent = new java.util.HashMap<>();
    /** Where each step's start and end are told ({@link #run}). */
    private Events events = Events.NONE;
    /** How the run reaches each host, named in its journal ({@link #reachedBy}). */
    private dev.esm.api.ImageAccess hereAccess = dev.esm.api.ImageAccess.AUTO;
    private dev.esm.api.ImageAccess targetAccess = dev.esm.api.ImageAccess.AUTO;

    TransferRun(Host here, Host target, String domain, TransferKeys keys) {
        this.here = here;
        this.target = target;
        this.domain = domain;
        this.keys = keys;
        this.ends = new TransferEnds(here, target, domain, keys);
    }

    /**
     * @param onHere how this host's images and state are reached
     * @param onTarget how the target's are
     * @return this run, whose journal names them (a recovery from either host reaches the other so)
     */
    TransferRun reachedBy(dev.esm.api.ImageAccess onHere, dev.esm.api.ImageAccess onTarget) {
        this.hereAccess = onHere;
        this.targetAccess = onTarget;
        return this;
    }

    /**
     * @param plan the plan
     * @param held what the target held before
     * @param targetHadDomain whether the target had the domain (a standby)
     * @param verify the target's findings, empty when consistent
     * @param faults the tests' seam
     * @return what was sent
     */
    Replication run(TransferPlan plan, ReplicaRecord held, boolean targetHadDomain, Supplier<List<String>> verify,
                    StepListener faults, ProgressListener progress, Cancellation cancel, Events events) {
        this.events = events;
        long total = plan.steps().stream().mapToLong(s -> s instanceof TransferStep.Copy c ? c.bytes() : 0).sum();
        FileCopier copier = new FileCopier(here.storage(), target.storage(), progress, cancel, total);
        List<String> hereFiles = plan.steps().stream()
                .flatMap(s -> s instanceof TransferStep.RemoveHere r ? java.util.stream.Stream.of(r.path())
                        : java.util.stream.Stream.empty()).toList();
        TransferJournal journal = new TransferJournal(plan.operation(), here.uri(), target.uri(), targetHadDomain,
                hereFiles, plan.moved()).reachedBy(hereAccess, targetAccess);
        writeJournal(journal);
        if (plan.operation() == Operation.MOVE) {
            here.stateStore().writeJournal(TransferKeys.leaving(domain), keys.uuid());
        }
        try {
            return steps(plan, held, journal, copier, verify, faults, cancel);
        } catch (RuntimeException failed) {
            // Undone at once where it can be (a failed migration must get its snapshots back here); a stop that
            // is not an exception (a killed process) leaves the journal for the next run.
            try {
                Optional<TransferJournal> left = here.stateStore().readJournal(keys.journal())
                        .map(TransferJournal::read);
                if (left.isPresent()) {
                    ends.recover(left.get(), failed instanceof dev.esm.api.errors.OperationCancelledException);
                }
            } catch (RuntimeException undo) {
                failed.addSuppressed(undo);
            }
            throw failed;
        }
    }

    private Replication steps(TransferPlan plan, ReplicaRecord held, TransferJournal journal, FileCopier copier,
                              Supplier<List<String>> verify, StepListener faults, Cancellation cancel) {
        ReplicaRecord record = held;
        List<String> copied = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        int snapshots = 0;
        for (int i = 0; i < plan.steps().size(); i++) {
            TransferStep step = plan.steps().get(i);
            faults.beforeTransferStep(plan, i, step);
            cancel.check("moving domain '" + domain + "'");
            LOG.debug("domain '{}': {}", domain, step.describe().description());
            java.time.Instant stepStarted = events.stepStarted(plan.operation(), target.uri(), i,
                    plan.steps().size(), step.describe());
            try {
                TransferOutcome done = step(plan, step, journal, record, copier, verify);
                journal = done.journal();
                record = done.record();
                done.copied().ifPresent(copied::add);
                done.removed().ifPresent(removed::add);
                if (done.snapshots() >= 0) {
                    snapshots = done.snapshots();
                }
            } catch (RuntimeException failed) {
                events.stepFinished(plan.operation(), target.uri(), i, plan.steps().size(), step.describe(),
                        stepStarted, failed);
                throw failed;
            }
            events.stepFinished(plan.operation(), target.uri(), i, plan.steps().size(), step.describe(),
                    stepStarted, null);
        }
        removeJournals();
        if (plan.operation() == Operation.MOVE) {
            here.stateStore().removeJournal(keys.replica());
        }
        LOG.info("{} of domain '{}' to {} done: {} files copied ({} bytes), {} kept", plan.operation().name()
                .toLowerCase(), domain, target.uri(), copied.size(), copier.done(), plan.kept().size());
        return new Replication(domain, target.uri(), copied, plan.kept(), removed, copier.done(), snapshots);
    }

    /** What one step changed of the run's state. */
    private record TransferOutcome(TransferJournal journal, ReplicaRecord record, Optional<String> copied,
                                   Optional<String> removed, int snapshots) {
    }

    /** Runs one step; @return the journal and record after it, and what it copied or removed */
    private TransferOutcome step(TransferPlan plan, TransferStep step, TransferJournal journal, ReplicaRecord record,
                                 FileCopier copier, Supplier<List<String>> verify) {
        String copiedPath = null;
        String removedPath = null;
        int snaps = -1;
        if (step instanceof TransferStep.Copy c) {
            journal = journal.making(c.to());
            writeJournal(journal);
            long crc = copier.copy(c.from(), c.to());
            sent.put(c.from(), crc);
            copiedPath = c.to();
            if (c.frozen().isPresent()) {
                record = record.with(c.to(), new ReplicaRecord.Entry(c.frozen().get(), c.bytes(), crc));
                target.stateStore().writeJournal(keys.replica(), record.write());
            }
        } else if (step instanceof TransferStep.Rebase r) {
            target.storage().rebase(r.image(), r.backing());
        } else if (step instanceof TransferStep.Overlay o) {
            journal = journal.making(o.path());
            writeJournal(journal);
            target.storage().remove(o.path());
            target.storage().createOverlay(o.path(), o.backing());
        } else if (step instanceof TransferStep.RemoveOnTarget r) {
            target.storage().remove(r.path());
            record = record.without(r.path());
            target.stateStore().writeJournal(keys.replica(), record.write());
            removedPath = r.path();
        } else if (step instanceof TransferStep.Define d) {
            target.defineDomain(d.xml());
        } else if (step instanceof TransferStep.Redefine r) {
            snaps = redefine(r);
        } else if (step instanceof TransferStep.Verify) {
            if (plan.operation() == Operation.MOVE && !journal.verified()) {
                journal = journal.deciding();
                writeJournal(journal);
            }
            List<String> findings = verify.get();
            if (!findings.isEmpty()) {
                throw new StorageException("the domain on " + target.uri() + " is not whole after the copy: "
                        + String.join("; ", findings) + "; nothing was removed here: run the operation again");
            }
            target.stateStore().writeJournal(keys.replica(), record.write());
            if (plan.operation() == Operation.MOVE && !journal.verified()) {
                journal = journal.verifiedNow(); // the point of no return: from here it is completed
                writeJournal(journal);
            }
        } else if (step instanceof TransferStep.Aside a) {
            journal = journal.puttingAside(a.xmls(), a.current());
            writeJournal(journal);
            List<String> names = a.xmls().stream().map(x -> SnapshotXml.parse(x).name()).toList();
            for (int k = names.size() - 1; k >= 0; k--) { // children first: nothing to re-parent
                here.deleteSnapshotMetadata(domain, names.get(k));
            }
        } else if (step instanceof TransferStep.Migrate m) {
            journal = journal.deciding();
            if (m.firmware().isPresent()) {
                journal = journal.pausedForFirmware(m.firmware().get());
            }
            writeJournal(journal);
            here.migrate(domain, new Migration(target.migrationTarget(), m.disks(), plan.moved(), m.address(),
                    m.firmware().isPresent()));
            journal = journal.verifiedNow(); // the domain runs there now: from here it is completed
            writeJournal(journal);
        } else if (step instanceof TransferStep.Firmware f) {
            Long before = sent.get(f.from());
            ends.refreshFirmware(f.from(), f.to(), copier, before == null ? java.util.OptionalLong.empty()
                    : java.util.OptionalLong.of(before));
        } else if (step instanceof TransferStep.Resume) {
            target.resumeDomain(domain);
        } else if (step instanceof TransferStep.Undefine) {
            ends.undefineHere();
        } else if (step instanceof TransferStep.RemoveHere r) {
            here.storage().remove(r.path());
        }
        return new TransferOutcome(journal, record, Optional.ofNullable(copiedPath), Optional.ofNullable(removedPath),
                snaps);
    }

    private int redefine(TransferStep.Redefine r) {
        return ends.redefineOn(target, r.xmls(), r.current());
    }

    /**
     * Writes the journal on both hosts, whichever side a recovery starts from: the target's first, so that a
     * journal here is never further on than the target's (a side that finds its copy before the point of no return
     * knows the target's is not past it).
     */
    private void writeJournal(TransferJournal journal) {
        String text = journal.write();
        target.stateStore().writeJournal(keys.journal(), text);
        here.stateStore().writeJournal(keys.journal(), text);
    }

    private void removeJournals() {
        target.stateStore().removeJournal(keys.journal());
        here.stateStore().removeJournal(keys.journal());
        here.stateStore().removeJournal(TransferKeys.leaving(domain));
    }

}
