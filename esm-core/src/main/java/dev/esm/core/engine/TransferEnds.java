package dev.esm.core.engine;

import dev.esm.api.Operation;
import dev.esm.core.plan.ReplicaRecord;
import dev.esm.core.plan.TransferJournal;
import dev.esm.core.port.Host;
import dev.esm.core.xml.SnapshotXml;
import dev.esm.core.xml.XmlPaths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a move or replication ends when it did not run to its end ({@link TransferRun} failed, or a process stopped):
 * completed when it was past the point of no return (the target verified, or the domain migrated), undone on each
 * side otherwise; with both hosts, or with one alone where its journal tells. And the changes to a host's domain both
 * a run and its ending make. Thread-safety: one per operation, on its thread.
 */
final class TransferEnds {
    private static final Logger LOG = LoggerFactory.getLogger(TransferEnds.class);

    private final Host here;
    private final Host target;
    private final String domain;
    private final TransferKeys keys;

    /**
     * @param here the host the domain leaves (null when only the target is reached)
     * @param target the target (null when only this host is reached)
     */
    TransferEnds(Host here, Host target, String domain, TransferKeys keys) {
        this.here = here;
        this.target = target;
        this.domain = domain;
        this.keys = keys;
    }

    /**
     * Copies the firmware variables as the guest left them here over the file there, in place; a failure is told
     * once and does not fail the move (the guest's variables are in its memory there, and the file there holds them
     * as they were before the migration).
     */
    void refreshFirmware(String from, String to, FileCopier copier, java.util.OptionalLong sent) {
        try {
            // Unchanged since it was sent (the usual case: a guest seldom writes its variables): nothing to copy,
            // and the guest waits paused only for the resume. Reading it here costs less than writing it there.
            if (sent.isPresent() && FileCopier.checksum(here.storage(), from) == sent.getAsLong()) {
                LOG.debug("domain '{}': its firmware variables did not change during the migration", domain);
                return;
            }
            copier.overwrite(from, to);
        } catch (RuntimeException e) {
            LOG.warn("domain '{}': its firmware variables could not be copied again after the migration ({}): the file"
                    + " on {} holds them as they were before it; what the guest wrote to them meanwhile is in its"
                    + " memory, and reaches the file when the guest writes its variables again", domain,
                    e.getMessage(), target.uri());
        }
    }


    /** Makes {@code host}'s snapshot metadata of the domain exactly {@code xmls} (parents first). */
    int redefineOn(Host host, List<String> xmls, Optional<String> current) {
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

    void undefineHere() {
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
     * Finishes a move or replication a stopped process left, with both hosts reachable: completed when either
     * journal is past the point of no return, or the domain was migrated (gone here, there on the target);
     * undone otherwise (each side's part).
     *
     * @param journal this host's journal
     * @return whether the domain is now on the target (a completed move)
     */
    boolean recover(TransferJournal journal) {
        return recover(journal, false);
    }

    /**
     * @param cancelled whether it was cancelled: then even an undo while copying keeps no copy there
     * @see #recover(TransferJournal)
     */
    boolean recover(TransferJournal journal, boolean cancelled) {
        Optional<TransferJournal> there = target.stateStore().readJournal(keys.journal()).map(TransferJournal::read);
        boolean done = journal.verified() || there.filter(TransferJournal::verified).isPresent()
                || (!journal.aside().isEmpty() && !definedHere() && target.domainByUuid(keys.uuid()).isPresent());
        if (done) {
            completeThere(journal, true);
            completeHere(journal);
        } else {
            undoHere(journal);
            undoThere(journal, cancelled);
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
            completeThere(journal, false);
        } else {
            undoThere(journal, false);
        }
    }

    /**
     * The domain is on the target: resumed there if its migration left it paused for its firmware variables (copied
     * first when this host can be reached), its snapshots' metadata there (if a live move had it aside), the journal
     * gone.
     */
    private void completeThere(TransferJournal journal, boolean hereReachable) {
        String there = journal.firmware().isPresent() || !journal.aside().isEmpty()
                ? target.domainByUuid(keys.uuid()).orElse(domain) : domain;
        if (journal.firmware().isPresent()) {
            if (target.state(there) == dev.esm.api.DomainState.PAUSED) {
                String file = journal.firmware().get();
                if (hereReachable && here.storage().exists(file)) {
                    FileCopier copier = new FileCopier(here.storage(), target.storage(), p -> { },
                            dev.esm.core.port.Cancellation.none(), 0);
                    refreshFirmware(file, journal.moved().getOrDefault(file, file), copier,
                            java.util.OptionalLong.empty());
                }
                LOG.info("domain '{}': resuming it on {}, where its migration left it paused", domain, target.uri());
                target.resumeDomain(there);
            }
        }
        if (!journal.aside().isEmpty()) {
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
        here.stateStore().removeJournal(TransferKeys.leaving(domain));
    }

    /** The domain stays here: the snapshots' metadata a live move had put aside is back, the journal gone. */
    private void undoHere(TransferJournal journal) {
        if (!journal.aside().isEmpty() && definedHere() && here.snapshotCount(domain) == 0) {
            LOG.info("domain '{}': putting back the metadata of {} snapshots its live move had put aside", domain,
                    journal.aside().size());
            redefineOn(here, journal.aside(), journal.current());
        }
        here.stateStore().removeJournal(keys.journal());
        here.stateStore().removeJournal(TransferKeys.leaving(domain));
    }

    /**
     * The target loses what the transfer made there: the files its record does not hold, and the domain's
     * definition unless it had the domain before (a standby).
     */
    private void undoThere(TransferJournal journal, boolean cancelled) {
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
            // Stopped or failed while copying: the frozen files copied whole (each recorded after its checksum was
            // read back) stay there, recorded, so the next run sends only the rest. Otherwise (cancelled, or the
            // target failed its verification or migration) nothing of it stays.
            if (cancelled || journal.phase() != TransferJournal.Phase.COPYING) {
                held = ReplicaRecord.empty();
                target.stateStore().removeJournal(keys.replica());
            } else if (!held.files().isEmpty()) {
                LOG.info("domain '{}': {} frozen files copied to {} stay there for the next run", domain,
                        held.files().size(), journal.target());
            }
        }
        for (String path : journal.made()) {
            if (held.entry(path).isEmpty()) {
                target.storage().remove(path);
            }
        }
        target.stateStore().removeJournal(keys.journal());
    }
}
