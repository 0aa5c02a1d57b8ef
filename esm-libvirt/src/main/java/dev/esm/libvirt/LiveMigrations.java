package dev.esm.libvirt;

import dev.esm.core.port.Migration;
import dev.esm.core.xml.XmlPaths;
import dev.esm.libvirt.internal.connect.DomainCalls;
import dev.esm.libvirt.internal.connect.DomainHandles;
import dev.esm.libvirt.internal.connect.LibvirtFlags;
import java.util.ArrayList;
import java.util.List;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.TypedParameter;
import org.libvirt.TypedStringParameter;

/**
 * {@link LibvirtHost}'s live migrations: a managed direct migration ({@code virDomainMigrate3}) driven by this client
 * with both hosts' connections, so that neither daemon needs to reach the other's libvirt (only QEMU's streams go host
 * to host, to the migration's address if given), and this host as the target of another's ({@link #target()}: its URI
 * and first connection, which only another {@code LiveMigrations} reads: the two ends of one adapter).
 *
 * <p>Thread-safety: thread-safe (no mutable state; calls go through {@link DomainCalls}).
 */
final class LiveMigrations {
    private final String uri;
    private final Connect conn;
    private final DomainCalls calls;

    LiveMigrations(String uri, Connect conn, DomainCalls calls) {
        this.uri = uri;
        this.conn = conn;
        this.calls = calls;
    }

    /** This host as a migration's target. */
    private record Target(String uri, Connect conn) implements Migration.Target {
    }

    Migration.Target target() {
        return new Target(uri, conn);
    }

    /**
     * Migrates {@code domain} live with LIVE | PERSIST_DEST | UNDEFINE_SOURCE | NON_SHARED_INC (and PAUSED if asked): each disk of
     * {@code m.disks()} has its top image copied onto the one made there; the migratable definitions (running and
     * persistent) go with every path rewritten for the target.
     */
    void migrate(String domain, Migration m) {
        if (!(m.to() instanceof Target to)) {
            throw new IllegalArgumentException("a libvirt host migrates only to another libvirt host, not " + m.to());
        }
        calls.withDomainDo(domain, "migrating to " + to.uri() + " (live)", d -> {
            List<TypedParameter> params = new ArrayList<>();
            for (String disk : m.disks()) {
                params.add(new TypedStringParameter(Domain.DomainMigrateParameters.VIR_MIGRATE_PARAM_MIGRATE_DISKS,
                        disk));
            }
            params.add(new TypedStringParameter(Domain.DomainMigrateParameters.VIR_MIGRATE_PARAM_DEST_XML,
                    XmlPaths.relocate(d.getXMLDesc(LibvirtFlags.migratableXml(false)), m.moved())));
            params.add(new TypedStringParameter(Domain.DomainMigrateParameters.VIR_MIGRATE_PARAM_PERSIST_XML,
                    XmlPaths.relocate(d.getXMLDesc(LibvirtFlags.migratableXml(true)), m.moved())));
            m.address().ifPresent(a -> {
                params.add(new TypedStringParameter(Domain.DomainMigrateParameters.VIR_MIGRATE_PARAM_URI,
                        "tcp://" + a));
                params.add(new TypedStringParameter(Domain.DomainMigrateParameters.VIR_MIGRATE_PARAM_LISTEN_ADDRESS,
                        a));
            });
            Domain there = d.migrate(to.conn(), params.toArray(new TypedParameter[0]),
                    (long) LibvirtFlags.moveMigration(m.paused()));
            DomainHandles.free(there);
        });
    }

    /** @return why the host's hypervisor cannot give a guest this CPU, in libvirt's words; empty when it can */
    java.util.Optional<String> cpuRefusal(dev.esm.core.model.GuestCpu cpu) {
        return dev.esm.libvirt.internal.connect.NativeLibvirt.cpuRefusal(conn, cpu.arch(), cpu.machine(),
                cpu.virtType(), cpu.xml());
    }

    /** @return the machine types (names and canonical names) the host's capabilities list for {@code arch} */
    java.util.Set<String> machineTypes(String arch) {
        try {
            org.w3c.dom.Element caps = dev.esm.core.xml.Xml.parse(conn.getCapabilities()).getDocumentElement();
            java.util.Set<String> out = new java.util.TreeSet<>();
            for (org.w3c.dom.Element guest : dev.esm.core.xml.Xml.children(caps, "guest")) {
                for (org.w3c.dom.Element a : dev.esm.core.xml.Xml.children(guest, "arch")) {
                    if (!arch.equals(a.getAttribute("name"))) {
                        continue;
                    }
                    for (org.w3c.dom.Element m : dev.esm.core.xml.Xml.path(a, "machine")) {
                        out.add(m.getTextContent().trim());
                        if (!m.getAttribute("canonical").isEmpty()) {
                            out.add(m.getAttribute("canonical"));
                        }
                    }
                    for (org.w3c.dom.Element m : dev.esm.core.xml.Xml.path(a, "domain", "machine")) {
                        out.add(m.getTextContent().trim());
                    }
                }
            }
            return out;
        } catch (org.libvirt.LibvirtException e) {
            throw dev.esm.libvirt.internal.connect.LibvirtErrors.wrap("reading the host's capabilities", e);
        }
    }
}
