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
import dev.esm.core.xml.SnapshotXml;
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

    TransferRun(Host here, Host target, String domain, TransferKeys keys) {
        this.here = here;
        this.target = target;
        this.domain = domain;
        this.keys = keys;
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
                    StepListener faults, ProgressListener progress, Cancellation cancel) {
        long total = plan.steps().stream().mapToLong(s -> s instanceof TransferStep.Copy c ? c.bytes() : 0).sum();
        FileCopier copier = new FileCopier(here.storage(), target.storage(), progress, cancel, total);
        List<String> hereFiles = plan.steps().stream()
                .flatMap(s -> s instanceof TransferStep.RemoveHere r ? java.util.stream.Stream.of(r.path())
                        : java.util.stream.Stream.empty()).toList();
        TransferJournal journal = new TransferJournal(plan.operation(), target.uri(), targetHadDomain, List.of(),
                false, hereFiles);
        writeJournal(journal);
        ReplicaRecord record = held;
        List<String> copied = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        int snapshots = 0;
        for (int i = 0; i < plan.steps().size(); i++) {
            TransferStep step = plan.steps().get(i);
            faults.beforeTransferStep(plan, i, step);
            cancel.check("moving domain '" + domain + "'");
            LOG.debug("domain '{}': {}", domain, step.describe().description());
            if (step instanceof TransferStep.Copy c) {
                journal = journal.making(c.to());
                writeJournal(journal);
                long crc = copier.copy(c.from(), c.to());
                copied.add(c.to());
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
                removed.add(r.path());
            } else if (step instanceof TransferStep.Define d) {
                target.defineDomain(d.xml());
            } else if (step instanceof TransferStep.Redefine r) {
                snapshots = redefine(r);
            } else if (step instanceof TransferStep.Verify) {
                List<String> findings = verify.get();
                if (!findings.isEmpty()) {
                    throw new StorageException("the domain on " + target.uri() + " is not whole after the copy: "
                            + String.join("; ", findings) + "; nothing was removed here: run the operation again");
                }
                target.stateStore().writeJournal(keys.replica(), record.write());
                if (plan.operation() == Operation.MOVE) {
                    journal = journal.verifiedNow(); // the point of no return: from here it is completed
                    writeJournal(journal);
                }
            } else if (step instanceof TransferStep.Undefine) {
                undefineHere();
            } else if (step instanceof TransferStep.RemoveHere r) {
                here.storage().remove(r.path());
            }
        }
        here.stateStore().removeJournal(keys.journal());
        if (plan.operation() == Operation.MOVE) {
            here.stateStore().removeJournal(keys.replica());
        }
        LOG.info("{} of domain '{}' to {} done: {} files copied ({} bytes), {} kept", plan.operation().name()
                .toLowerCase(), domain, target.uri(), copied.size(), copier.done(), plan.kept().size());
        return new Replication(domain, target.uri(), copied, plan.kept(), removed, copier.done(), snapshots);
    }

    private int redefine(TransferStep.Redefine r) {
        Set<String> wanted = new HashSet<>();
        List<String> names = new ArrayList<>();
        for (String xml : r.xmls()) {
            String name = SnapshotXml.parse(xml).name();
            wanted.add(name);
            names.add(name);
        }
        for (String xml : target.snapshotXmls(domain)) {
            String name = SnapshotXml.parse(xml).name();
            if (!wanted.contains(name)) {
                target.deleteSnapshotMetadata(domain, name);
            }
        }
        for (int i = 0; i < r.xmls().size(); i++) {
            target.redefineSnapshot(domain, r.xmls().get(i), r.current().filter(names.get(i)::equals).isPresent());
        }
        return r.xmls().size();
    }

    private void undefineHere() {
        try {
            here.state(domain);
        } catch (dev.esm.api.errors.DomainNotFoundException gone) {
            return; // undefined by an earlier run
        }
        here.undefineDomain(domain);
    }

    private void writeJournal(TransferJournal journal) {
        here.stateStore().writeJournal(keys.journal(), journal.write());
    }

    /**
     * Finishes a move or replication a stopped process left: completes a move whose target was verified (removes
     * the domain here), and otherwise removes from the target what it made there that the target's record does not
     * hold (and the domain's definition there, unless the target had it before).
     *
     * @return whether the domain is now on the target (a completed move)
     */
    boolean recover(TransferJournal journal) {
        if (journal.verified()) {
            LOG.info("domain '{}': completing its move to {}", domain, journal.target());
            undefineHere();
            for (String path : journal.here()) {
                here.storage().remove(path);
            }
            here.stateStore().removeJournal(keys.journal());
            here.stateStore().removeJournal(keys.replica());
            return true;
        }
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
        here.stateStore().removeJournal(keys.journal());
        return false;
    }
}
