package dev.esm.core.engine;

import dev.esm.core.port.Host;

/**
 * A manager that runs on a {@link Host}: what a move or replication needs of the manager it is given for the other
 * host.
 */
public interface PortBacked {
    /** @return the port the manager runs on */
    Host port();

    /**
     * @return how the manager reaches its host's images, as it was given ({@link dev.esm.api.ImageAccess#AUTO} unless
     *         chosen): a move's journal keeps it, so that a recovery reaches the host the same way
     */
    dev.esm.api.ImageAccess imageAccess();

    /**
     * Verifies a domain whose lock the caller holds (the other side of a move, under the move's lease), as
     * {@link dev.esm.api.DomainSnapshots#check()} does for a domain nobody holds.
     *
     * @param domain the domain's name
     * @return what is wrong with it; empty when consistent
     */
    java.util.List<dev.esm.api.Finding> verifyHeld(String domain);
}
