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
}
