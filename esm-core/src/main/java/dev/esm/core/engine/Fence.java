package dev.esm.core.engine;

import dev.esm.core.port.StateStore;
import java.util.Optional;

/**
 * The lease of one domain while one of its operations runs; none between operations; and the way every change is
 * made under it ({@link #run}). Thread-safe.
 */
final class Fence {
    private volatile StateStore.Lease held;

    void hold(StateStore.Lease lease) {
        held = lease;
    }

    void drop() {
        held = null;
    }

    /** @return the lease held now, if any */
    Optional<StateStore.Lease> held() {
        return Optional.ofNullable(held);
    }

    /** Proves the lease (if one is held) before a change; see {@link StateStore.Lease#ensureHeld}. */
    void check() {
        StateStore.Lease lease = held;
        if (lease != null) {
            lease.ensureHeld();
        }
    }

    /**
     * Runs a change: proves the lease first (and binds it for the change's own later calls: {@link
     * dev.esm.core.port.Fencing}), and when the change fails, proves it again, so that a failure caused by
     * another client having taken the domain over (its helper domain destroyed, its files removed) is reported as the
     * loss of the lease it is, not as the failure it looks like.
     */
    void run(Runnable change) {
        check();
        try {
            Optional<StateStore.Lease> lease = held();
            if (lease.isPresent()) {
                dev.esm.core.port.Fencing.during(lease.get(), change); // the adapter's later calls prove it too
            } else {
                change.run();
            }
        } catch (dev.esm.api.errors.LeaseLostException lost) {
            throw lost;
        } catch (RuntimeException e) {
            try {
                check();
            } catch (dev.esm.api.errors.LeaseLostException lost) {
                lost.addSuppressed(e);
                throw lost;
            }
            throw e;
        }
    }
}
