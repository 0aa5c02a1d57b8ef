package dev.esm.api;

/**
 * How ESM reaches a domain's image files.
 *
 * <ul>
 *   <li>{@link #LOCAL_FILES}: directly, as files of this machine. The fastest way, and the only one for
 *       libvirt's in-process driver ({@code qemu:///embed}); the URI must name a daemon on this machine.</li>
 *   <li>{@link #LIBVIRT_STORAGE}: only through libvirt's storage API (storage pools and volumes, streams, and a
 *       paused helper domain for offline merges), so that no access to the host's files is needed: the way for
 *       remote hosts ({@code qemu+ssh://}, {@code qemu+tls://}). Locks and journals then live on the host, so
 *       clients on different machines exclude each other and any of them can recover what another left.</li>
 *   <li>{@link #AUTO}: {@code LIBVIRT_STORAGE} for URIs that name a remote transport or host, else
 *       {@code LOCAL_FILES}.</li>
 * </ul>
 */
public enum ImageAccess {
    /** Decide from the URI. */
    AUTO,
    /** The images are files of this machine. */
    LOCAL_FILES,
    /** The images are reached through libvirt's storage API only. */
    LIBVIRT_STORAGE;

    /**
     * @param uri a libvirt connection URI
     * @return whether the URI reaches libvirt on another machine (a transport other than {@code unix}, or a host
     *         name other than {@code localhost})
     */
    public static boolean isRemote(String uri) {
        int colon = uri.indexOf(':');
        if (colon < 0) {
            return false;
        }
        String scheme = uri.substring(0, colon);
        int plus = scheme.indexOf('+');
        if (plus >= 0 && !scheme.substring(plus + 1).equals("unix")) {
            return true;
        }
        String rest = uri.substring(colon + 1);
        if (!rest.startsWith("//")) {
            return false;
        }
        String authority = rest.substring(2);
        int slash = authority.indexOf('/');
        authority = slash < 0 ? authority : authority.substring(0, slash);
        authority = authority.substring(authority.indexOf('@') + 1);
        int port = authority.lastIndexOf(':');
        String hostName = port > 0 && !authority.endsWith("]") ? authority.substring(0, port) : authority;
        return !hostName.isEmpty() && !hostName.equals("localhost");
    }

    /**
     * @param uri a libvirt connection URI
     * @return this choice made concrete for a URI: never {@link #AUTO}
     */
    public ImageAccess resolve(String uri) {
        return this != AUTO ? this : isRemote(uri) ? LIBVIRT_STORAGE : LOCAL_FILES;
    }
}
