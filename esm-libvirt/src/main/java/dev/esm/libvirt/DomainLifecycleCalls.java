package dev.esm.libvirt;

import dev.esm.api.DomainState;
import dev.esm.libvirt.internal.connect.ConnectionPool;
import dev.esm.libvirt.internal.connect.DomainCalls;
import dev.esm.libvirt.internal.connect.DomainHandles;
import dev.esm.libvirt.internal.connect.LibvirtErrors;
import dev.esm.libvirt.internal.connect.LibvirtFlags;
import dev.esm.libvirt.internal.connect.NativeLibvirt;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The domain calls of {@link LibvirtHost} (the {@link dev.esm.core.port.Host} methods on domains themselves): look a
 * domain up by its UUID, read its state and definition, define and undefine it, start, power off, pause and resume it,
 * read a save image's definition and restore a domain from it. Every libvirt domain object it looks up is freed before
 * the call returns; every call fails once the host is closed.
 *
 * <p>Thread-safety: thread-safe (no mutable state; calls go through {@link DomainCalls} and the
 * {@link ConnectionPool}'s connections).
 */
final class DomainLifecycleCalls {
    private static final Logger LOG = LoggerFactory.getLogger(DomainLifecycleCalls.class);

    /** The host's connections: the first one for lookups and definitions, a domain's own for its restore. */
    private final ConnectionPool pool;
    /** Calls on domains, through the pool's connections on kept handles. */
    private final DomainCalls calls;
    /** Over the storage API a domain's journal lives in its definition: what a define must carry (else nothing). */
    private final UnaryOperator<String> withJournal;

    /**
     * @param pool the host's connections
     * @param calls the host's calls on domains
     * @param withJournal what a definition must carry when it is defined (the domain's newest journal over the
     *                    storage API; else nothing)
     */
    DomainLifecycleCalls(ConnectionPool pool, DomainCalls calls, UnaryOperator<String> withJournal) {
        this.pool = pool;
        this.calls = calls;
        this.withJournal = withJournal;
    }

    /** @see dev.esm.core.port.Host#domainByUuid */
    Optional<String> domainByUuid(String uuid) {
        pool.checkOpen();
        Domain d = null;
        try {
            d = pool.first().domainLookupByUUIDString(uuid);
            return Optional.of(d.getName());
        } catch (LibvirtException e) {
            if (LibvirtErrors.isCode(e, "VIR_ERR_NO_DOMAIN")) {
                return Optional.empty();
            }
            throw LibvirtErrors.wrap("looking up domain " + uuid, e);
        } finally {
            DomainHandles.free(d);
        }
    }

    /** @see dev.esm.core.port.Host#state */
    DomainState state(String domain) {
        return calls.withDomain(domain, "reading the state", d -> switch (d.getInfo().state) {
            case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED -> DomainState.RUNNING;
            case VIR_DOMAIN_PAUSED, VIR_DOMAIN_PMSUSPENDED -> DomainState.PAUSED;
            case VIR_DOMAIN_SHUTOFF -> DomainState.SHUTOFF;
            default -> DomainState.OTHER;
        });
    }

    /** @see dev.esm.core.port.Host#domainXml */
    String domainXml(String domain, boolean live) {
        return calls.withDomain(domain, "reading the definition", d -> d.getXMLDesc(LibvirtFlags.domainXml(live)));
    }

    /** @see dev.esm.core.port.Host#defineDomain */
    void define(String xml) {
        pool.checkOpen();
        Domain d = null;
        try {
            // Over the storage API the domain's journal lives in its definition: the XML to define (read before
            // the journal's last write, or a snapshot's copy) must carry the newest one, not the one it was read with.
            d = pool.first().domainDefineXML(withJournal.apply(xml));
        } catch (LibvirtException e) {
            throw LibvirtErrors.wrap("defining a domain", e);
        } finally {
            DomainHandles.free(d);
        }
    }

    /** Removes a domain's definition, its files kept. @see dev.esm.core.port.Host#undefineDomain */
    void undefine(String domain) {
        pool.checkOpen();
        calls.withDomainDo(domain, "removing the definition of", d -> d.undefine(LibvirtFlags.undefineKeepingFiles()));
    }

    /** @see dev.esm.core.port.Host#startDomain */
    void start(String domain) {
        calls.withDomainDo(domain, "starting", Domain::create);
    }

    /** @see dev.esm.core.port.Host#stopDomain */
    void stop(String domain) {
        calls.withDomainDo(domain, "powering off", Domain::destroy);
    }

    /** @see dev.esm.core.port.Host#suspendDomain */
    void suspend(String domain) {
        calls.withDomainDo(domain, "pausing", Domain::suspend);
    }

    /** @see dev.esm.core.port.Host#resumeDomain */
    void resume(String domain) {
        calls.withDomainDo(domain, "resuming", Domain::resume);
    }

    /** @see dev.esm.core.port.Host#savedDomainXml */
    String savedDomainXml(String file) {
        pool.checkOpen();
        return NativeLibvirt.savedDomainXml(pool.first(), file, LibvirtFlags.SAVE_IMAGE_XML_SECURE);
    }

    /** @see dev.esm.core.port.Host#restore */
    void restore(String domain, String file, String domainXml, boolean paused) {
        pool.checkOpen();
        LOG.debug("restoring domain '{}' from {} ({})", domain, file, paused ? "paused" : "running");
        NativeLibvirt.restore(pool.connectionFor(domain), file, domainXml, LibvirtFlags.restore(paused));
    }
}
