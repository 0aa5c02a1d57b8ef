package dev.esm.libvirt.internal.connect;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections of one {@code LibvirtHost} to one URI, with domain affinity: each domain's calls go through one of a
 * few connections ({@link dev.esm.api.Settings#connections()}; opened as domains need them), so that libvirtd's
 * per-connection limit on calls in progress does not make one domain's calls wait for another's.
 *
 * <p>Thread-safety: thread-safe; the mutable state is the closed flag, the lazily opened connections (each opened
 * under its slot's monitor, stored and closed under the array's) and the domains' assignment to them (a concurrent
 * map).
 */
public final class ConnectionPool {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionPool.class);
    /** How many domains' assignments are kept before they are forgotten (and made again as needed). */
    private static final int MAX_ASSIGNED = 10_000;

    /**
     * libvirt prints every error to stderr unless a handler is set; ESM reports errors as exceptions, so its
     * handler only logs them at debug level. Kept in a field so that JNA's callback is never collected.
     */
    private static final org.libvirt.ErrorCallback QUIET_ERRORS = new org.libvirt.ErrorCallback() {
        @Override
        public void errorCallback(com.sun.jna.Pointer userData, org.libvirt.jna.virError error) {
            LOG.debug("libvirt reported: {}", error == null ? "?" : error.message);
        }
    };

    static {
        try {
            Connect.setErrorCallback(QUIET_ERRORS);
        } catch (LibvirtException e) {
            LOG.debug("cannot set libvirt's error handler: {}", e.toString());
        }
    }

    private final String uri;
    /** The first connection: storage, events, and the domains assigned to it. */
    private final Connect conn;
    /**
     * Connections for domain calls, opened when first needed ({@code [0]} is {@link #conn}). libvirtd serves at most
     * {@code max_client_requests} (5 by default) calls of one connection at a time and queues the rest, so many
     * domains driven at once through one connection wait for one another's slow calls (starts, pivots, snapshots);
     * each domain is assigned one of these in turn and keeps it.
     */
    private final Connect[] connections;
    /** One monitor per slot of {@link #connections}, held while that slot's connection is opened. */
    private final Object[] opening;
    private final ConcurrentMap<String, Integer> connectionOf = new ConcurrentHashMap<>();
    private final AtomicInteger assigned = new AtomicInteger();
    private volatile boolean closed;

    /**
     * Opens the first connection.
     *
     * @param uri a libvirt URI
     * @param n how many connections domains' calls are spread over (at least one)
     */
    public ConnectionPool(String uri, int n) {
        this.uri = uri;
        this.conn = open(uri);
        this.connections = new Connect[Math.max(1, n)];
        connections[0] = conn;
        this.opening = new Object[connections.length];
        for (int i = 0; i < opening.length; i++) {
            opening[i] = new Object();
        }
    }

    /** Opens a read-write connection to {@code uri}; a failure becomes an {@link dev.esm.api.errors.EsmException}. */
    public static Connect open(String uri) {
        try {
            return new NativeLibvirt.EsmConnect(uri);
        } catch (LibvirtException e) {
            throw LibvirtErrors.connecting(uri, e);
        }
    }

    /** @return the first connection: storage, events, and the domains assigned to it */
    public Connect first() {
        return conn;
    }

    /**
     * @return the connection {@code domain}'s calls go through: the same one for every call on the domain, the
     *         domains spread over the connections in turn (opened at the first domain that
     *         needs one)
     */
    public Connect connectionFor(String domain) {
        if (connections.length == 1) {
            return conn;
        }
        if (connectionOf.size() > MAX_ASSIGNED) {
            connectionOf.clear(); // merge helpers and removed domains: a new assignment is as good as the old one
        }
        int i = connectionOf.computeIfAbsent(domain, n -> Math.floorMod(assigned.getAndIncrement(), connections.length));
        Connect c = connections[i];
        if (c != null) {
            return c;
        }
        synchronized (opening[i]) { // one connection opened at a time per slot; the others stay usable
            checkOpen();
            if (connections[i] == null) {
                Connect opened = open(uri);
                synchronized (connections) {
                    if (closed) {
                        closeQuietly(opened);
                        checkOpen();
                    }
                    connections[i] = opened;
                }
                LOG.debug("opened connection {} to {}", i + 1, uri);
            }
            return connections[i];
        }
    }

    /** @throws IllegalStateException once {@link #markClosed()} was called */
    public void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this SnapshotManager is closed");
        }
    }

    /** @return whether {@link #markClosed()} was called */
    public boolean isClosed() {
        return closed;
    }

    /** Refuses new calls from now on; the connections stay open until {@link #closeAll()}. */
    public void markClosed() {
        closed = true;
    }

    /** Closes every connection opened (a failure is only logged). */
    public void closeAll() {
        synchronized (connections) {
            for (Connect c : connections) {
                if (c != null) {
                    closeQuietly(c);
                }
            }
        }
    }

    private void closeQuietly(Connect c) {
        try {
            c.close();
        } catch (LibvirtException e) {
            LOG.debug("closing {} failed: {}", uri, e.toString());
        }
    }

    /** @return the names of the running domains (merge helpers left by stopped clients are found among them) */
    public List<String> runningDomainNames() {
        checkOpen();
        List<String> out = new ArrayList<>();
        try {
            for (int id : conn.listDomains()) {
                Domain d = null;
                try {
                    d = conn.domainLookupByID(id);
                    out.add(d.getName());
                } catch (LibvirtException gone) {
                    LOG.debug("domain {} ended while listing: {}", id, gone.getMessage());
                } finally {
                    DomainHandles.free(d);
                }
            }
        } catch (LibvirtException e) {
            throw LibvirtErrors.wrap("listing running domains", e);
        }
        return out;
    }
}
