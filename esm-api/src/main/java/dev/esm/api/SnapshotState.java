package dev.esm.api;

import java.util.Locale;

/** The domain's state when a snapshot was taken, as libvirt records it. */
public enum SnapshotState {
    /** Taken while the domain was shut off. */
    SHUTOFF,
    /** Taken of the disks only, while the domain was running. */
    DISK_SNAPSHOT,
    /** Taken while the domain was running (with memory). */
    RUNNING,
    /** Taken while the domain was paused. */
    PAUSED,
    /** Any other state. */
    OTHER;

    /**
     * @param libvirtState the {@code <state>} text of a libvirt snapshot, e.g. {@code disk-snapshot}
     * @return the matching state, or {@link #OTHER}
     */
    public static SnapshotState fromLibvirt(String libvirtState) {
        if (libvirtState == null) {
            return OTHER;
        }
        try {
            return valueOf(libvirtState.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            return OTHER;
        }
    }

    /** @return libvirt's text for this state, e.g. {@code disk-snapshot} */
    public String libvirtName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
