package dev.esm.libvirt.internal.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.xml.DomainXml;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import dev.esm.libvirt.testbed.LibvirtBed;

/**
 * ESM keeps a domain's handle between calls ({@link DomainHandles}); a domain removed, or removed and defined again
 * under the same name (another UUID), behind its back through a separate connection must not leave it calling a
 * dead handle: the next call reaches the new domain, or says the domain does not exist.
 */
class DomainHandlesIT {
    private LibvirtBed bed;
    private Connect raw;
    private String dom;

    @BeforeEach
    void domain() throws Exception {
        bed = new LibvirtBed();
        raw = new Connect(LibvirtBed.URI, false);
        dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
    }

    @AfterEach
    void close() throws LibvirtException {
        if (raw != null) {
            raw.close();
        }
        if (bed != null) {
            bed.close();
        }
    }

    private String uuidSeenByEsm() {
        return DomainXml.parse(bed.host().domainXml(dom, false)).uuid();
    }

    @Test
    void aDomainDefinedAgainUnderTheSameNameIsReachedThroughItsNewHandle() throws LibvirtException {
        DomainSnapshots esm = bed.manager().domain(dom);
        esm.snapshot("before").create(); // handles kept, in the manager and in the bed's host
        String old = uuidSeenByEsm();
        Domain d = raw.domainLookupByName(dom);
        String xml = d.getXMLDesc(2);
        d.undefine(2); // with its snapshots' metadata
        d.free();
        raw.domainDefineXML(xml.replaceFirst("<uuid>[^<]*</uuid>", "")).free(); // libvirt gives a new UUID

        String now = uuidSeenByEsm();
        assertNotEquals(old, now);
        assertEquals(raw.domainLookupByName(dom).getUUIDString(), now);
        DomainSnapshots again = bed.manager().domain(dom);
        assertTrue(again.chain().find("before").isEmpty(), "the new domain has none of the old one's snapshots");
        assertEquals(dev.esm.api.DomainState.SHUTOFF, again.state());
    }

    @Test
    void aDomainRemovedBehindEsmsBackIsReportedAsNotFound() throws LibvirtException {
        DomainSnapshots esm = bed.manager().domain(dom);
        esm.chain();
        uuidSeenByEsm();
        Domain d = raw.domainLookupByName(dom);
        d.undefine(2);
        d.free();
        assertThrows(DomainNotFoundException.class, () -> bed.manager().domain(dom).chain());
        assertThrows(DomainNotFoundException.class, esm::chain);
    }
}
