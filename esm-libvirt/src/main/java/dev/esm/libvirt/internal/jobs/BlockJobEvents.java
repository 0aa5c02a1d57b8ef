package dev.esm.libvirt.internal.jobs;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.libvirt.Connect;
import org.libvirt.event.BlockJobStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.esm.libvirt.internal.connect.NativeLibvirt;

/**
 * The block-job events of one connection, sent to whoever waits for a given domain's disk. libvirt's
 * {@code BLOCK_JOB_2} event names the disk by its target, so jobs on several disks of one domain, and on many
 * domains, are told apart; one callback is registered for the whole connection (through JNA, for every domain),
 * instead of one libvirt-java listener per job: libvirt-java keeps its listeners in an unsynchronised map and
 * cannot register one listener for all domains.
 *
 * <p>The callback runs on libvirt's event loop thread and only puts the status into the waiting disk's queue, so
 * a slow merge on one domain never holds up another's events.
 *
 * <p>Thread-safety: thread-safe; {@link #subscribe} and the subscription's {@code close} may be called from any
 * thread, events arrive on the event loop thread.
 */
public final class BlockJobEvents implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockJobEvents.class);

    private final Connect conn;
    private final ConcurrentMap<String, BlockingQueue<BlockJobStatus>> waiting = new ConcurrentHashMap<>();
    /** Kept in a field: JNA must not see the callback collected while libvirt may call it. */
    private final NativeLibvirt.BlockJobCallback callback = this::onEvent;
    private final int callbackId;
    private volatile boolean closed;

    /**
     * Registers for the connection's block-job events.
     *
     * @throws dev.esm.api.errors.HypervisorException if libvirt refuses (no event loop)
     */
    public BlockJobEvents(Connect conn) {
        this.conn = conn;
        this.callbackId = NativeLibvirt.registerBlockJobEvents(conn, callback);
    }

    /** One disk's events while one job runs on it. */
    public interface Subscription extends AutoCloseable {
        /** @return the statuses of the disk's jobs, in the order libvirt sent them */
        BlockingQueue<BlockJobStatus> statuses();

        @Override
        void close();
    }

    /**
     * Starts collecting the events of {@code domain}'s disk {@code disk}; close the subscription when the job
     * ended. One job runs on a disk at a time (the domain's lock), so one subscription per disk.
     */
    public Subscription subscribe(String domain, String disk) {
        String key = key(domain, disk);
        BlockingQueue<BlockJobStatus> q = new LinkedBlockingQueue<>();
        BlockingQueue<BlockJobStatus> before = waiting.put(key, q);
        if (before != null) {
            LOG.debug("a second wait for the block jobs of {} {}: the first one gets no more events", domain, disk);
        }
        return new Subscription() {
            @Override
            public BlockingQueue<BlockJobStatus> statuses() {
                return q;
            }

            @Override
            public void close() {
                waiting.remove(key, q);
            }
        };
    }

    private static String key(String domain, String disk) {
        return domain + '\u0000' + disk;
    }

    private void onEvent(com.sun.jna.Pointer c, com.sun.jna.Pointer dom, String disk, int type, int status,
                         com.sun.jna.Pointer opaque) {
        try {
            String domain = NativeLibvirt.domainName(dom);
            BlockingQueue<BlockJobStatus> q = waiting.get(key(domain, disk));
            BlockJobStatus[] all = BlockJobStatus.values();
            LOG.debug("block job event: {} {} type {} status {}{}", domain, disk, type, status,
                    q == null ? " (nobody waits)" : "");
            if (q != null && status >= 0 && status < all.length) {
                q.add(all[status]);
            }
        } catch (RuntimeException e) {
            // Never let an exception unwind into libvirt's event loop.
            LOG.warn("handling a block-job event failed: {}", e.toString());
        }
    }

    /** Deregisters the callback; waiting jobs fall back to polling. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            NativeLibvirt.deregisterEvents(conn, callbackId);
        } catch (RuntimeException e) {
            LOG.debug("deregistering block-job events failed: {}", e.toString());
        }
    }
}
