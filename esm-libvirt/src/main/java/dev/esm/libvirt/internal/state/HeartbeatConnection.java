package dev.esm.libvirt.internal.state;

import dev.esm.libvirt.internal.connect.ConnectionPool;
import dev.esm.libvirt.internal.connect.LibvirtErrors;
import dev.esm.libvirt.internal.pool.StatePool;
import dev.esm.libvirt.internal.pool.Volumes;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection the heartbeats of {@link VolumeLeases}' held leases share, with its round trip measured as it opens,
 * and the state pool's handle on it. Opened once, off the caller's thread (a daemon thread, {@code esm-lease-connect}),
 * when the first lock asks for it: not when the leases are made, as a manager that only reads (a one-shot
 * {@code esm tree} over ssh) would open a second ssh session for nothing, which cost a loaded two-core machine about a
 * second of a two-second read. Closed, with the pool's handle, by {@link #close}.
 *
 * <p>Thread-safety: thread-safe; its state is kept under this object's monitor, the connection handed over through a
 * future.
 */
final class HeartbeatConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatConnection.class);

    /** The heartbeats' connection and its measured round trip. */
    record Link(Connect conn, long roundTripNanos) {
    }

    private final String hostUri;
    private final StatePool pool;
    private final CompletableFuture<Link> link = new CompletableFuture<>();
    private StoragePool beatPool;
    private boolean closed;
    /** Whether the connection was asked for (by the first {@link #get}). */
    private boolean opening;

    /**
     * @param hostUri the host's URI
     * @param pool the state pool, looked up by its name on the connection
     */
    HeartbeatConnection(String hostUri, StatePool pool) {
        this.hostUri = hostUri;
        this.pool = pool;
    }

    /** @return the connection, opened at the first call, which waits for it; refused once closed */
    Link get() {
        if (!startOpening()) {
            throw new IllegalStateException("closed");
        }
        try {
            return link.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /**
     * Starts opening the connection, once, off the caller's thread.
     *
     * @return false once closed (nothing is opened then)
     */
    private boolean startOpening() {
        synchronized (this) {
            if (closed) {
                return false;
            }
            if (opening) {
                return true;
            }
            opening = true;
        }
        Thread opener = new Thread(() -> {
            try {
                HostName.get(); // looked up once, here: a lookup can be slow, and never inside a heartbeat
                link.complete(open(hostUri));
            } catch (RuntimeException | Error e) {
                link.completeExceptionally(e);
            }
        }, "esm-lease-connect");
        opener.setDaemon(true);
        opener.start();
        return true;
    }

    private static Link open(String uri) {
        Connect c = ConnectionPool.open(uri);
        long best = Long.MAX_VALUE;
        try {
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                c.getLibVersion(); // one round trip
                best = Math.min(best, System.nanoTime() - t0);
            }
        } catch (LibvirtException e) {
            try {
                c.close();
            } catch (LibvirtException ignored) {
                // closing what failed
            }
            throw LibvirtErrors.wrap("measuring the round trip to " + uri, e);
        }
        return new Link(c, best);
    }

    /** @return the state pool's handle on {@code c}, the heartbeats' connection, looked up once */
    synchronized StoragePool pool(Connect c) throws LibvirtException {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (beatPool == null) {
            beatPool = c.storagePoolLookupByName(pool.name());
        }
        return beatPool;
    }

    /** Closes the connection (once it has opened, if it is opening) and frees the pool's handle. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            Volumes.free(beatPool);
            beatPool = null;
        }
        link.whenComplete((l, e) -> {
            if (l != null) {
                try {
                    l.conn().close();
                } catch (LibvirtException ignored) {
                    LOG.debug("closing the heartbeat connection failed: {}", ignored.getMessage());
                }
            }
        });
    }
}
