package dev.esm.core.port;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;

/**
 * Where ESM keeps what it needs to exclude and to finish operations on a domain: the domain's journal and its lock,
 * both named by the domain's key (its UUID, or its name made file-safe when it has none). On this machine they are
 * files of ESM's state folder; on a host reached through libvirt's storage API they live on the host (the journal in
 * the domain's definition or a volume, the lock a lease), so that every client of the host sees the same ones.
 * Implementations are thread-safe; failures are {@link dev.esm.api.errors.StorageException}s.
 */
public interface StateStore {

    /** @return the domain's journal, if one is kept (an operation is under way, or a stopped process left it) */
    Optional<String> readJournal(String key);

    /** Writes the domain's journal so that after a crash it reads as the old or the new one, durably. */
    void writeJournal(String key, String content);

    /** Removes the domain's journal: its operation has finished or was undone. Fine if there is none. */
    void removeJournal(String key);

    /**
     * Reads the domain's snapshot-tree index, what {@link #writeTreeIndex} last wrote. The default keeps none.
     *
     * @return the index, if one is kept
     */
    default Optional<String> readTreeIndex(String key) {
        return Optional.empty();
    }

    /**
     * Writes the domain's snapshot-tree index (a short ASCII text), replacing the old one whole, so that a reader sees
     * the old or the new one; durability is not needed (a lost index is read again in full). The default keeps none.
     */
    default void writeTreeIndex(String key, String content) {
    }

    /** Removes the domain's snapshot-tree index; fine if there is none. The default keeps none. */
    default void removeTreeIndex(String key) {
    }

    /**
     * Takes the domain's exclusive lock, which other processes and machines (and other callers in this one) respect,
     * waiting up to {@code wait}.
     *
     * @return the held lock; close it to release
     * @throws dev.esm.api.errors.DomainBusyException if it is still held by someone else after {@code wait}
     */
    Lease lock(String key, Duration wait);

    /**
     * Reads who holds the domain's lock, without waiting and without taking it (for reads that say an operation may
     * be in progress). The default cannot tell and says nobody.
     *
     * @return the holder, if the lock is held
     */
    default Optional<LockHolder> lockHolder(String key) {
        return Optional.empty();
    }

    /**
     * A held lock. A lock the kernel keeps (a lock file on this machine) cannot be lost; a lease on a remote host can:
     * a holder that could not renew it in time (its process paused, its link slow) may have been taken over.
     */
    interface Lease extends AutoCloseable {
        /**
         * Proves the lock is still this holder's, with a margin for the call about to be made: called before every
         * change the holder makes to the domain, its images or its state. The default: a lock that cannot be lost.
         *
         * @throws dev.esm.api.errors.LeaseLostException when the holder can no longer prove it holds the lock
         *         (sticky: once thrown, thrown again)
         */
        default void ensureHeld() {
        }

        /** Releases the lock; a lease no longer provably held is left to its new owner (nothing of theirs changes). */
        @Override
        void close();
    }

    /**
     * Who holds a lock, as a reader sees it without taking it.
     *
     * @param who the holder as it names itself (client, process and machine), or a description when it has not yet
     * @param since when the holder took it, when known
     */
    record LockHolder(String who, Optional<Instant> since) {
        /** Checks both are given. */
        public LockHolder {
            Objects.requireNonNull(who, "who");
            Objects.requireNonNull(since, "since");
        }

        /** @return one phrase: the holder, and since when if known */
        public String describe() {
            return who + since.map(t -> " since " + t.truncatedTo(ChronoUnit.SECONDS)).orElse("");
        }
    }
}
