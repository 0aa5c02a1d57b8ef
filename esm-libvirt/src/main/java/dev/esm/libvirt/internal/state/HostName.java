package dev.esm.libvirt.internal.state;

/**
 * This machine's name, as a lease names its holder: looked up once (a lookup can be slow), by the heartbeats'
 * connection as it opens ({@link HeartbeatConnection}), never inside a heartbeat.
 *
 * <p>Thread-safety: thread-safe (a volatile cache; two first lookups at once both look it up).
 */
final class HostName {
    private static volatile String name;

    private HostName() {
    }

    /** @return this machine's name, or {@code ?} when it cannot be looked up */
    static String get() {
        String h = name;
        if (h == null) {
            try {
                h = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                h = "?";
            }
            name = h;
        }
        return h;
    }
}
