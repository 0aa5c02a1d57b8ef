package dev.esm.libvirt.internal.connect;

import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * Calls on a domain by name: each through the domain's connection ({@link ConnectionPool}) on a handle kept between
 * calls ({@link DomainHandles}), libvirt's errors wrapped into {@link dev.esm.api.errors.EsmException}s.
 *
 * <p>Thread-safety: thread-safe, as its pool and handles are.
 */
public final class DomainCalls implements AutoCloseable {
    private final ConnectionPool pool;
    /** Domain handles kept between calls. */
    private final DomainHandles handles = new DomainHandles();

    /** @param pool the connections the calls go through */
    public DomainCalls(ConnectionPool pool) {
        this.pool = pool;
    }

    /** A call on a domain that returns something. */
    @FunctionalInterface
    public interface DomainCall<T> {
        T apply(Domain d) throws LibvirtException;
    }

    /** A call on a domain that returns nothing. */
    @FunctionalInterface
    public interface VoidDomainCall {
        void apply(Domain d) throws LibvirtException;
    }

    /**
     * Runs {@code call} on the domain's handle: kept from an earlier call ({@link DomainHandles}), or looked up by
     * name. A kept handle whose domain is gone (removed, or defined again with another UUID) is dropped and the
     * call made once more on a fresh lookup: libvirt refused it before it did anything.
     */
    public <T> T withDomain(String domain, String doing, DomainCall<T> call) {
        pool.checkOpen();
        DomainHandles.Lookup lookup = () -> pool.connectionFor(domain).domainLookupByName(domain);
        DomainHandles.Use use = null;
        try {
            use = handles.acquire(domain, lookup);
            try {
                return call.apply(use.domain());
            } catch (LibvirtException e) {
                if (use.fresh() || !LibvirtErrors.isCode(e, "VIR_ERR_NO_DOMAIN")) {
                    throw e;
                }
                handles.discard(use);
                handles.release(use);
                use = null;
                use = handles.acquire(domain, lookup);
                return call.apply(use.domain());
            }
        } catch (LibvirtException e) {
            throw LibvirtErrors.wrap(doing + " of domain '" + domain + "'", e);
        } finally {
            handles.release(use);
        }
    }

    public void withDomainDo(String domain, String doing, VoidDomainCall call) {
        withDomain(domain, doing, d -> {
            call.apply(d);
            return null;
        });
    }

    /** Frees the kept handles (before the connections are closed: a handle is freed while its connection is open). */
    @Override
    public void close() {
        handles.close();
    }
}
