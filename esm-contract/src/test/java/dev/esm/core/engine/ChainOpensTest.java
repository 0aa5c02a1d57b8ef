package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import java.util.List;
import org.junit.jupiter.api.Test;

/** verify's judgement of chains, on the in-memory fake (the real-host cases are in OddDisksIT). */
class ChainOpensTest {

    @Test
    void aDiskWhoseFormatIsNotNamedIsReportedOnce() {
        FakeBed bed = new FakeBed();
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2"), DiskSpec.qcow2("vdb", "b.qcow2")));
        var d = bed.manager().domain(dom);
        assertTrue(d.verify().isEmpty(), d.verify().toString());
        String xml = bed.host().domainXml(dom, false);
        String changed = xml.replaceFirst("(<driver name=.qemu.) type=.qcow2.", "$1");
        assertTrue(!changed.equals(xml), xml);
        bed.host().defineDomain(changed);
        List<String> problems = d.verify();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("the domain, vda: the disk names no format"), problems.toString());
    }
}
