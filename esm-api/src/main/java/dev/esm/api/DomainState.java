package dev.esm.api;

/** A domain's run state, as far as snapshots care. */
public enum DomainState {
    /** QEMU runs the domain. */
    RUNNING,
    /** QEMU runs the domain but its CPUs are paused. */
    PAUSED,
    /** No QEMU process: offline operations are allowed. */
    SHUTOFF,
    /** Anything else (crashed, starting, shutting down). */
    OTHER;

    /** @return whether a QEMU process holds the domain's disks open */
    public boolean isActive() {
        return this != SHUTOFF;
    }
}
