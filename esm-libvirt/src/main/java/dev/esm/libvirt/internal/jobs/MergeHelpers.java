package dev.esm.libvirt.internal.jobs;

import dev.esm.api.errors.LeaseLostException;

import dev.esm.api.Progress;
import dev.esm.api.ProgressListener;
import dev.esm.api.errors.StorageException;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Fencing;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.Xml;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.esm.libvirt.internal.connect.DomainHandles;
import dev.esm.libvirt.internal.connect.LibvirtFlags;

/**
 * Offline merges and pulls on a host whose files this process cannot see: libvirt has no offline block commit or
 * pull, so the chain is opened by a helper, a transient paused QEMU domain with a virtio-scsi controller and no disk,
 * and merged there with a libvirt block commit, or pulled with a libvirt block pull. A helper is kept after its job
 * (merge or pull) and the next job hot-plugs its chain into it (a SCSI disk leaves at once, with no guest to agree), because starting a helper and destroying
 * it cost a second or two each while attaching and detaching a disk cost about 0.1–0.2 s.
 *
 * <p>Helpers are started with {@code VIR_DOMAIN_START_AUTODESTROY}: libvirtd destroys them when this client's
 * connection closes, also when the client dies, so none outlives its client. A helper that fails in any way is
 * destroyed, not reused. Each helper runs one merge at a time; merges of several disks at once take a helper
 * each; at most {@value #KEEP} idle ones are kept, each for at most a minute without a merge.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class MergeHelpers {
    private static final Logger LOG = LoggerFactory.getLogger(MergeHelpers.class);
    public static final String PREFIX = "esm-merge-";
    private static final String TARGET = "sda";
    private static final int KEEP = 4;
    /** How long a helper is kept with no merge to run. */
    private static final long IDLE_MILLIS = 60_000;

    private final Connect conn;
    private final dev.esm.core.port.Host host;
    /** The names of the host's running domains. */
    private final Supplier<java.util.List<String>> running;
    private final Supplier<String> arch;
    private final String client = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicInteger started = new AtomicInteger();
    /** Idle helpers, the most recently used first, with when each became idle. */
    private final Deque<Idle> idle = new ArrayDeque<>();
    private ScheduledExecutorService reaper;

    private record Idle(String name, long since) {
    }

    public MergeHelpers(Connect conn, dev.esm.core.port.Host host, Supplier<java.util.List<String>> running,
                 Supplier<String> arch) {
        this.conn = conn;
        this.host = host;
        this.running = running;
        this.arch = arch;
    }

    /** Merges {@code top} into {@code base} (a backing image of {@code top}) in a helper; see the class comment. */
    public void commit(String top, String base, String disk, ProgressListener listener, Cancellation cancel) {
        inHelper(top, "merge of " + top + " into " + base, helper -> host.blockCommit(helper, TARGET, base, top, true,
                p -> listener.onProgress(new Progress(disk, p.done(), p.total())), cancel));
    }

    /**
     * Pulls into {@code image} the data of the images between it and {@code anchor} (a backing image of
     * {@code image}), which becomes its backing image, in a helper (a block pull with a base: QEMU writes
     * {@code image} only, and its header last); see the class comment.
     */
    public void pull(String image, String anchor, String disk, ProgressListener listener, Cancellation cancel) {
        inHelper(image, "pull into " + image + " onto " + anchor, helper -> host.blockPull(helper, TARGET, anchor,
                p -> listener.onProgress(new Progress(disk, p.done(), p.total())), cancel));
    }

    /**
     * Opens {@code top}'s chain in a helper (taken or started), runs {@code job} on the helper's disk, then gives the
     * helper back, or destroys it when its disk does not leave.
     *
     * @param doing what the job is, for the log
     */
    private void inHelper(String top, String doing, java.util.function.Consumer<String> job) {
        long t0 = System.nanoTime();
        destroyLeftovers(top);
        String helper = take();
        long t1 = System.nanoTime();
        try {
            Fencing.check();
            attach(helper, top);
        } catch (StorageException stale) {
            // A kept helper that died since (or a libvirtd restart): one fresh helper, once.
            destroy(helper);
            helper = start();
            try {
                attach(helper, top);
            } catch (StorageException e) {
                destroy(helper);
                throw e;
            }
        }
        long t2 = System.nanoTime();
        boolean clean = false;
        boolean lost = false;
        try {
            Fencing.check();
            job.accept(helper);
        } catch (RuntimeException e) {
            if (lostLease()) {
                // The domain is another client's now (its recovery destroys this helper as a leftover and runs the
                // job again): nothing more is changed here, no detach, no destroy.
                LOG.debug("leaving the merge helper {} to the lease's new owner", helper);
                lost = true;
                Fencing.check(); // throws the lease's loss, which outranks what the job saw
            }
            throw e;
        } finally {
            long t3 = System.nanoTime();
            if (!lost && !lostLease()) {
                clean = detach(helper);
                if (clean) {
                    giveBack(helper);
                } else {
                    destroy(helper);
                }
            }
            LOG.debug("offline {} in helper {}: helper {} ms, attach {} ms, job {} ms, detach {} ms", doing, helper,
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000,
                    (System.nanoTime() - t3) / 1_000_000);
        }
    }

    /**
     * @return whether the operation whose merge this is lost its lease (its job then changes nothing more): the lease
     *         the engine bound to this thread for the merge ({@link Fencing})
     */
    private static boolean lostLease() {
        try {
            Fencing.check();
            return false;
        } catch (LeaseLostException lost) {
            return true;
        }
    }

    private String take() {
        synchronized (idle) {
            Idle h = idle.pollFirst();
            if (h != null) {
                return h.name();
            }
        }
        return start();
    }

    private void giveBack(String helper) {
        synchronized (idle) {
            if (idle.size() < KEEP) {
                idle.addFirst(new Idle(helper, System.nanoTime()));
                if (reaper == null) {
                    reaper = Executors.newSingleThreadScheduledExecutor(r -> {
                        Thread t = new Thread(r, "esm-merge-helper-reaper");
                        t.setDaemon(true);
                        return t;
                    });
                }
                reaper.schedule(this::reap, IDLE_MILLIS + 100, TimeUnit.MILLISECONDS);
                return;
            }
        }
        destroy(helper);
    }

    /** Destroys the helpers idle for {@value #IDLE_MILLIS} ms or more (a paused QEMU still holds its memory). */
    private void reap() {
        List<String> old = new ArrayList<>();
        synchronized (idle) {
            long now = System.nanoTime();
            idle.removeIf(h -> {
                boolean stale = now - h.since() >= TimeUnit.MILLISECONDS.toNanos(IDLE_MILLIS);
                if (stale) {
                    old.add(h.name());
                }
                return stale;
            });
        }
        old.forEach(this::destroy);
    }

    /** Stops reaping; the helpers themselves die with the connection (autodestroy). */
    public void close() {
        synchronized (idle) {
            if (reaper != null) {
                reaper.shutdownNow();
            }
            idle.clear();
        }
    }

    private String start() {
        String name = PREFIX + client + "-" + started.incrementAndGet();
        String xml = "<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>"
                + "<os><type arch='" + arch.get() + "'>hvm</type></os><on_poweroff>destroy</on_poweroff><devices>"
                + "<controller type='scsi' model='virtio-scsi' index='0'/></devices></domain>";
        long t0 = System.nanoTime();
        try {
            conn.domainCreateXML(xml, LibvirtFlags.helperStart()).free();
        } catch (LibvirtException e) {
            throw new StorageException("cannot start a paused helper domain for offline merges on the host"
                    + " (libvirt: " + e.getMessage() + ")", e);
        }
        LOG.debug("merge helper {} started in {} ms", name, (System.nanoTime() - t0) / 1_000_000);
        return name;
    }

    private static String diskXml(String top) {
        return "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" + Xml.escape(top)
                + "'/><target dev='" + TARGET + "' bus='scsi'/></disk>";
    }

    private void attach(String helper, String top) {
        Domain d = null;
        try {
            d = conn.domainLookupByName(helper);
            d.attachDeviceFlags(diskXml(top), LibvirtFlags.AFFECT_LIVE);
        } catch (LibvirtException e) {
            throw new StorageException("cannot open " + top + " in the merge helper " + helper + " (libvirt: "
                    + e.getMessage() + ")", e);
        } finally {
            DomainHandles.free(d);
        }
    }

    /** @return whether the helper is left with no disk (and may merge again) */
    private boolean detach(String helper) {
        Domain d = null;
        try {
            d = conn.domainLookupByName(helper);
            List<String> chain = DomainXml.chain(d.getXMLDesc(0), TARGET);
            if (chain.isEmpty()) {
                return true;
            }
            // libvirt finds the disk by its target; after the commit's pivot its source is the base.
            d.detachDeviceFlags(diskXml(chain.get(0)), LibvirtFlags.AFFECT_LIVE);
            return DomainXml.chain(d.getXMLDesc(0), TARGET).isEmpty();
        } catch (LibvirtException e) {
            LOG.debug("detaching the merged chain from helper {} failed: {}", helper, e.getMessage());
            return false;
        } finally {
            DomainHandles.free(d);
        }
    }

    private void destroy(String helper) {
        synchronized (idle) {
            idle.removeIf(h -> h.name().equals(helper));
        }
        Domain d = null;
        try {
            d = conn.domainLookupByName(helper);
            d.destroy();
        } catch (LibvirtException e) {
            LOG.debug("destroying the merge helper {}: {}", helper, e.getMessage());
        } finally {
            DomainHandles.free(d);
        }
    }

    /**
     * Destroys helpers that hold {@code top} open (QEMU would refuse to open it twice): left by a client that
     * stopped half-way and whose connection libvirtd has not closed yet. The job is then run again from the
     * start, which is safe: the base is being merged into and belongs to no surviving snapshot as is, and a pull
     * stopped half-way left its image showing what it showed.
     */
    private void destroyLeftovers(String top) {
        for (String name : running.get()) {
            if (!name.startsWith(PREFIX)) {
                continue;
            }
            Domain d = null;
            try {
                d = conn.domainLookupByName(name);
                String xml = d.getXMLDesc(0);
                if (DomainXml.chain(xml, TARGET).contains(top) || DomainXml.chain(xml, "vda").contains(top)) {
                    LOG.warn("destroying the merge helper {} a stopped client left on {}", name, top);
                    d.destroy();
                }
            } catch (LibvirtException gone) {
                LOG.debug("merge helper {} vanished while looking for leftovers: {}", name, gone.getMessage());
            } finally {
                DomainHandles.free(d);
            }
        }
    }

}
