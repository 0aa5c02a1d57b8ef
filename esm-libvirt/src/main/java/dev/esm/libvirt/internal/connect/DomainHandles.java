package dev.esm.libvirt.internal.connect;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Domain handles kept between calls, so that an operation's dozen calls on one domain cost one lookup by name
 * instead of one each (over {@code qemu+ssh} a lookup is a round trip of about a millisecond). A handle names the
 * domain by UUID; when a call on a kept handle finds no such domain (removed, or defined again under the same name
 * with another UUID, behind ESM's back), {@link DomainCalls} drops it and looks the name up again.
 *
 * <p>Each handle is counted while a call uses it and freed once it is neither kept nor in use: when it is dropped,
 * when more than {@link #KEPT} domains were used since, and at {@link #close()}. Thread-safety: thread-safe
 * (every method holds this object's monitor; lookups run outside it).
 */
public final class DomainHandles implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DomainHandles.class);
    /** How many domains' handles are kept (the least recently used beyond that are freed). */
    public static final int KEPT = 256;

    /** A kept handle and how many calls use it now. */
    public static final class Held {
        private final String name;
        private final Domain domain;
        private int users;
        private boolean dropped;

        private Held(String name, Domain domain) {
            this.name = name;
            this.domain = domain;
        }
    }

    /**
     * One call's use of a handle.
     *
     * @param held the handle
     * @param fresh whether it was looked up for this call (not kept from an earlier one)
     */
    public record Use(Held held, boolean fresh) {
        /** @return the handle */
        public Domain domain() {
            return held.domain;
        }
    }

    /** How a handle is looked up. */
    @FunctionalInterface
    public interface Lookup {
        Domain find() throws LibvirtException;
    }

    private final Map<String, Held> kept = new LinkedHashMap<>(16, 0.75f, true);
    private boolean closed;

    /**
     * @param name the domain's name
     * @param lookup how to find it when no handle is kept
     * @return a handle, in use until {@link #release}d
     * @throws LibvirtException when the lookup fails
     */
    public Use acquire(String name, Lookup lookup) throws LibvirtException {
        synchronized (this) {
            Held h = kept.get(name);
            if (h != null) {
                h.users++;
                return new Use(h, false);
            }
        }
        Domain d = lookup.find();
        synchronized (this) {
            Held h = new Held(name, d);
            h.users = 1;
            if (closed) {
                h.dropped = true; // freed by its release
                return new Use(h, true);
            }
            Held before = kept.put(name, h);
            if (before != null) {
                drop(before); // two threads looked the same name up at once: the later handle is kept
            }
            trim();
            return new Use(h, true);
        }
    }

    /** Ends a call's use of a handle (null: nothing). */
    public synchronized void release(Use use) {
        if (use == null) {
            return;
        }
        use.held.users--;
        freeIfDone(use.held);
    }

    /** Forgets the handle of {@code use} (the domain it names is gone); freed once no call uses it. */
    public synchronized void discard(Use use) {
        Held h = use.held;
        if (kept.get(h.name) == h) {
            kept.remove(h.name);
        }
        drop(h);
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (Held h : kept.values()) {
            drop(h);
        }
        kept.clear();
    }

    private void drop(Held h) {
        h.dropped = true;
        freeIfDone(h);
    }

    private void trim() {
        Iterator<Held> it = kept.values().iterator();
        while (kept.size() > KEPT && it.hasNext()) {
            Held eldest = it.next();
            it.remove();
            drop(eldest);
        }
    }

    private static void freeIfDone(Held h) {
        if (h.dropped && h.users == 0) {
            h.users = -1; // freed once
            free(h.domain);
        }
    }

    /** Frees a domain object, if any; a failure is only logged (the object is useless either way). */
    public static void free(Domain d) {
        if (d != null) {
            try {
                d.free();
            } catch (LibvirtException e) {
                LOG.debug("freeing a domain object failed: {}", e.toString());
            }
        }
    }
}
