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
import dev.esm.core.xml.XmlPaths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a move or replication planned by {@link dev.esm.core.plan.TransferPlanner} between this host ({@code here},
 * as the domain's operations see it, under its lock) and the target: each step in order, the
 * {@link TransferJournal} on this host before each change, the {@link ReplicaRecord} on the target after each frozen
 * file; and finishes one a stopped process left ({@link #recover}): undone on the target until the target was
 * verified, completed here after. Thread-safety: one per operation, on its thread.
 */
final class TransferRun {
    private static final Logger LOG = LoggerFactory.getLogger(TransferRun.class);

    private final Host here;
    private final Host target;
    private final String domain;
    private final TransferKeys keys;
    /** Where each step's start and end are told ({@link #run}). */
    private Events events = Events.NONE;

    TransferRun(Host here, Host target, String domain, TransferKeys keys) {
        this.here = here;
        this.target = target;
        this.domain = domain;
        this.keys = keys;
    }

    /**
     * @param plan the plan
     * @param access how each host's images are reached (the journal keeps it, for a recovery)
     * @param held what the target held before
     * @param targetHadDomain whether the target had the domain (a standby)
     * @param verify the target's findings, empty when consistent
     * @param faults the tests' seam
     * @return what was sent
     */
    Replication run(TransferPlan plan, TransferJournal.Access access, ReplicaRecord held, boolean targetHadDomain, Supplier<List<String>> verify,
                    StepListener faults, ProgressListener progress, Cancellation cancel, Events events) {
        this.events = events;
        long total = plan.steps().stream().mapToLong(s -> s instanceof TransferStep.Copy c ? c.bytes() : 0).sum();
        FileCopier copier = new FileCopier(here.storage(), target.storage(), progress, cancel, total);
        List<String> hereFiles = plan.steps().stream()
                .flatMap(s -> s instanceof TransferStep.RemoveHere r ? java.util.stream.Stream.of(r.path())
                        : java.util.stream.Stream.empty()).toList();
        TransferJournal journal = new TransferJournal(plan.operation(), here.uri(), target.uri(), access,
                targetHadDomain, hereFiles, plan.moved());
        writeJournal(journal);
        try {
            return steps(plan, held, journal, copier, verify, faults, cancel);
        } catch (RuntimeException failed) {
            // Undone at once where it can be (a failed migration must get its snapshots back here); a stop that
            // is not an exception (a killed process) leaves the journal for the next run.
            try {
                Optional<TransferJournal> left = here.stateStore().readJournal(keys.journal())
                        .map(TransferJournal::read);
                if (left.isPresent()) {
                    recover(left.get());
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
            writeJournal(journal);
            here.migrate(domain, new Migration(target.migrationTarget(), m.disks(), plan.moved(), m.address()));
            journal = journal.verifiedNow(); // the domain runs there now: from here it is completed
            writeJournal(journal);
        } else if (step instanceof TransferStep.Undefine) {
            undefineHere();
        } else if (step instanceof TransferStep.RemoveHere r) {
            here.storage().remove(r.path());
        }
        return new TransferOutcome(journal, record, Optional.ofNullable(copiedPath), Optional.ofNullable(removedPath),
                snaps);
    }

    private int redefine(TransferStep.Redefine r) {
        return redefineOn(target, r.xmls(), r.current());
    }

    /** Makes {@code host}'s snapshot metadata of the domain exactly {@code xmls} (parents first). */
    private int redefineOn(Host host, List<String> xmls, Optional<String> current) {
        Set<String> wanted = new HashSet<>();
        List<String> names = new ArrayList<>();
        for (String xml : xmls) {
            String name = SnapshotXml.parse(xml).name();
            wanted.add(name);
            names.add(name);
        }
        for (String xml : host.snapshotXmls(domain)) {
            String name = SnapshotXml.parse(xml).name();
            if (!wanted.contains(name)) {
                host.deleteSnapshotMetadata(domain, name);
            }
        }
        for (int i = 0; i < xmls.size(); i++) {
            host.redefineSnapshot(domain, xmls.get(i), current.filter(names.get(i)::equals).isPresent());
        }
        return xmls.size();
    }

    private void undefineHere() {
        if (definedHere()) {
            here.undefineDomain(domain);
        }
    }

    private boolean definedHere() {
        try {
            here.state(domain);
            return true;
        } catch (dev.esm.api.errors.DomainNotFoundException gone) {
            return false; // undefined by an earlier run, or migrated away
        }
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
    }

    /**
     * Finishes a move or replication a stopped process left, with both hosts reachable: completed when either
     * journal is past the point of no return, or the domain was migrated (gone here, there on the target);
     * undone otherwise (each side's part).
     *
     * @param journal this host's journal
     * @return whether the domain is now on the target (a completed move)
     */
    boolean recover(TransferJournal journal) {
        Optional<TransferJournal> there = target.stateStore().readJournal(keys.journal()).map(TransferJournal::read);
        boolean done = journal.verified() || there.filter(TransferJournal::verified).isPresent()
                || (!journal.aside().isEmpty() && !definedHere() && target.domainByUuid(keys.uuid()).isPresent());
        if (done) {
            completeThere(journal);
            completeHere(journal);
        } else {
            undoHere(journal);
            undoThere(journal);
        }
        return done;
    }

    /**
     * Finishes this host's part alone (the target cannot be reached) where this host can tell how it ended: past
     * the point of no return it is completed; before it, undone; at it (verifying or migrating), a live move was
     * migrated if the domain is gone here and not if it is here, and an offline one cannot be told.
     *
     * @return whether it could be told
     */
    boolean recoverHereAlone(TransferJournal journal) {
        boolean live = !journal.aside().isEmpty();
        if (journal.verified() || (journal.phase() == TransferJournal.Phase.DECIDING && live && !definedHere())) {
            completeHere(journal);
            return true;
        }
        if (journal.phase() == TransferJournal.Phase.COPYING
                || (journal.phase() == TransferJournal.Phase.DECIDING && live)) {
            undoHere(journal);
            return true;
        }
        return false;
    }

    /**
     * Finishes the target's part alone (the host the domain leaves cannot be reached): that host's journal is never
     * further on than the target's, so the target's tells. Past the point of no return, or migrated (the domain is
     * on the target), it is completed there; otherwise undone there.
     */
    void recoverThereAlone(TransferJournal journal) {
        boolean migrated = !journal.aside().isEmpty() && target.domainByUuid(keys.uuid()).isPresent();
        if (journal.verified() || migrated) {
            completeThere(journal);
        } else {
            undoThere(journal);
        }
    }

    /** The domain is on the target: its snapshots' metadata there (if a live move had it aside), the journal gone. */
    private void completeThere(TransferJournal journal) {
        if (!journal.aside().isEmpty()) {
            String there = target.domainByUuid(keys.uuid()).orElse(domain);
            if (target.snapshotCount(there) == 0) {
                redefineOn(target, journal.aside().stream().map(x -> XmlPaths.relocate(x, journal.moved()))
                        .toList(), journal.current());
            }
        }
        target.stateStore().removeJournal(keys.journal());
    }

    /** The domain is on the target: its definition and files here removed, the journal and record gone. */
    private void completeHere(TransferJournal journal) {
        LOG.info("domain '{}': completing its move to {}", domain, journal.target());
        undefineHere();
        for (String path : journal.here()) {
            here.storage().remove(path);
        }
        here.stateStore().removeJournal(keys.journal());
        here.stateStore().removeJournal(keys.replica());
    }

    /** The domain stays here: the snapshots' metadata a live move had put aside is back, the journal gone. */
    private void undoHere(TransferJournal journal) {
        if (!journal.aside().isEmpty() && definedHere() && here.snapshotCount(domain) == 0) {
            LOG.info("domain '{}': putting back the metadata of {} snapshots its live move had put aside", domain,
                    journal.aside().size());
            redefineOn(here, journal.aside(), journal.current());
        }
        here.stateStore().removeJournal(keys.journal());
    }

    /**
     * The target loses what the transfer made there: the files its record does not hold, and the domain's
     * definition unless it had the domain before (a standby).
     */
    private void undoThere(TransferJournal journal) {
        LOG.info("domain '{}': undoing its unfinished {} to {}", domain, journal.operation().name().toLowerCase(),
                journal.target());
        ReplicaRecord held = target.stateStore().readJournal(keys.replica()).map(ReplicaRecord::read)
                .orElse(ReplicaRecord.empty());
        if (journal.operation() == Operation.MOVE && !journal.targetHadDomain()) {
            Optional<String> there = target.domainByUuid(keys.uuid());
            if (there.isPresent()) {
                for (String xml : target.snapshotXmls(there.get())) {
                    target.deleteSnapshotMetadata(there.get(), SnapshotXml.parse(xml).name());
                }
                target.undefineDomain(there.get());
            }
            held = ReplicaRecord.empty();
            target.stateStore().removeJournal(keys.replica());
        }
        for (String path : journal.made()) {
            if (held.entry(path).isEmpty()) {
                target.storage().remove(path);
            }
        }
        target.stateStore().removeJournal(keys.journal());
    }
}
