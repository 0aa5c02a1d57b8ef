package dev.esm.core.engine;

import dev.esm.api.errors.DomainBusyException;
import dev.esm.core.port.StateStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A domain's lock: one {@link ReentrantLock} per domain and manager in this process, and the state store's lock
 * (a lock file locally, a lease on the host remotely) so that other processes and other machines are excluded too.
 * Both are waited for up to the manager's lock wait. While the action runs, the lease guards every change made
 * through the domain's {@link FencedHost}. The domain's snapshot-tree index ({@link TreeIndex}) is removed when the
 * lock is taken. Thread-safe.
 */
final class DomainLock {
    private final StateStore state;
    private final String domain;
    private final String key;
    private final ReentrantLock local;
    private final Duration wait;
    private final Fence fence;

    /**
     * @param key the domain's key (its UUID) naming the lock in the storage's state folder
     * @param local this process's lock of the domain, shared by every handle of it
     */
    DomainLock(StateStore state, String domain, String key, ReentrantLock local, Duration wait,
               Fence fence) {
        this.state = state;
        this.domain = domain;
        this.key = key;
        this.local = local;
        this.wait = wait;
        this.fence = fence;
    }

    /** @return who holds the domain's lock on the host now, read without taking it */
    java.util.Optional<StateStore.LockHolder> holder() {
        if (local.isLocked() && !local.isHeldByCurrentThread()) {
            return java.util.Optional.of(new StateStore.LockHolder("another operation in this process",
                    java.util.Optional.empty()));
        }
        return state.lockHolder(key);
    }

    /** Runs {@code action} holding the domain's lock, in this process and on the host. */
    <T> T locked(Supplier<T> action) {
        boolean held;
        try {
            held = local.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DomainBusyException("interrupted while waiting for another operation on domain '" + domain + "'");
        }
        if (!held) {
            throw new DomainBusyException("another operation on domain '" + domain + "' has been running for over "
                    + wait.toSeconds() + " s; retry when it has finished");
        }
        try {
            StateStore.Lease lease = state.lock(key, wait);
            fence.hold(lease);
            try {
                // The operation may change the snapshots (see TreeIndex). Once: a reader writes an index only when
                // the lock is free just before it writes.
                state.removeTreeIndex(key);
                return action.get();
            } finally {
                fence.drop();
                lease.close();
            }
        } finally {
            local.unlock();
        }
    }
}
