package dev.esm.libvirt.internal.connect;

import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libvirt's default event loop, run once per process on a daemon thread, so that block-job events reach ESM
 * (libvirt needs it registered before a connection is opened). Thread-safe.
 */
public final class EventLoop {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    private static boolean started;
    private static boolean available;

    private EventLoop() {
    }

    /** @return whether events are delivered (else callers poll) */
    public static synchronized boolean ensureStarted() {
        if (started) {
            return available;
        }
        started = true;
        try {
            Library.initEventLoop();
            Thread t = new Thread(() -> {
                try {
                    Library.runEventLoop();
                } catch (LibvirtException e) {
                    LOG.warn("libvirt's event loop stopped: {}", e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "esm-libvirt-events");
            t.setDaemon(true);
            t.start();
            available = true;
        } catch (LibvirtException | RuntimeException | LinkageError e) {
            LOG.debug("no libvirt event loop ({}); block jobs are polled", e.toString());
        }
        return available;
    }
}
