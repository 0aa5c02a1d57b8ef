package dev.esm.core.engine;

import dev.esm.api.SnapshotManager;
import dev.esm.api.errors.DomainStateException;
import dev.esm.core.plan.TransferJournal;
import dev.esm.core.port.Host;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finishes, from either host, a move or replication a stopped process left: its journal is on both hosts, and the
 * other host is reached by the URI the journal names, with the image access the transfer reached it with
 * ({@link SnapshotManager#connect(String, dev.esm.api.ImageAccess)}; decided from the URI when the journal does not
 * say); then it finishes as {@link TransferRun#recover} says. When the other host cannot be reached, this host
 * finishes its own part where its journal tells how the transfer ended ({@link TransferRun#recoverHereAlone},
 * {@link TransferRun#recoverThereAlone}), and a warning says what is left on the other host. Stateless; the caller
 * holds the domain's lock.
 */
final class TransferRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(TransferRecovery.class);

    private TransferRecovery() {
    }

    /**
     * @param host this host (as the domain's operations see it)
     * @param domain the domain's name here
     * @param uuid its UUID
     * @return whether there was a transfer to finish
     */
    static boolean finish(Host host, String domain, String uuid) {
        TransferKeys keys = new TransferKeys(uuid);
        Optional<TransferJournal> found = host.stateStore().readJournal(keys.journal()).map(TransferJournal::read);
        if (found.isEmpty()) {
            return false;
        }
        TransferJournal journal = found.get();
        boolean isTarget = journal.target().equals(host.uri());
        String otherUri = isTarget ? journal.source() : journal.target();
        dev.esm.api.ImageAccess access = isTarget ? journal.access().source() : journal.access().target();
        SnapshotManager other;
        try {
            other = access == dev.esm.api.ImageAccess.AUTO ? SnapshotManager.connect(otherUri)
                    : SnapshotManager.connect(otherUri, access);
        } catch (RuntimeException unreachable) {
            if (isTarget) {
                new TransferRun(null, host, domain, keys).recoverThereAlone(journal);
            } else if (!new TransferRun(host, null, domain, keys).recoverHereAlone(journal)) {
                throw new DomainStateException("domain '" + domain + "' was being moved to " + otherUri + ", which"
                        + " cannot be reached (" + unreachable.getMessage() + "), and only that host knows whether the"
                        + " move passed its point of no return: run the operation again when it can be reached",
                        unreachable);
            }
            LOG.warn("domain '{}': finished this host's part of its unfinished {} ({} cannot be reached: {});"
                    + " what it made there is finished when ESM next opens the domain there", domain,
                    journal.operation().name().toLowerCase(), otherUri, unreachable.getMessage());
            return true;
        }
        try (other) {
            if (!(other instanceof PortBacked backed)) {
                throw new IllegalStateException(otherUri + " is served by another implementation of ESM");
            }
            Host otherHost = backed.port();
            Host source = isTarget ? otherHost : host;
            Host target = isTarget ? host : otherHost;
            TransferJournal sourceCopy = isTarget ? source.stateStore().readJournal(keys.journal())
                    .map(TransferJournal::read).orElse(journal) : journal;
            new TransferRun(source, target, domain, keys).recover(sourceCopy);
            return true;
        }
    }
}
