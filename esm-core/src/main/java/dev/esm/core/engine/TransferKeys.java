package dev.esm.core.engine;

/**
 * Where a move or replication keeps its records in a host's state store, by the domain's UUID: the journal of one
 * in progress (on the host it leaves), and the record of what a target holds ({@link dev.esm.core.plan.ReplicaRecord},
 * on the target). Both hosts know a domain by the same UUID.
 *
 * @param uuid the domain's UUID
 */
record TransferKeys(String uuid) {
    /** @return the key of the journal of a move or replication in progress */
    String journal() {
        return uuid + ".transfer";
    }

    /** @return the key of the record of what a target holds */
    String replica() {
        return uuid + ".replica";
    }

    /**
     * @param domain a domain's name
     * @return the key, by the domain's name, of the pointer to the journal of its move away from a host (its UUID),
     *         so that the host it leaves still finds the move once the domain is no longer defined there
     */
    static String leaving(String domain) {
        return domain.replaceAll("[^A-Za-z0-9_.-]", "_") + ".leaving";
    }
}
