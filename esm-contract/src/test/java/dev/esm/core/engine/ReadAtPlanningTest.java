package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import dev.esm.core.port.Host;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A revert's definition and current-snapshot steps take the persistent definition and the target snapshot's XML from
 * what was read for planning (each a call or two through a remote connection), and still leave the domain defined
 * on the new overlays with the target current, its old XML otherwise intact.
 */
class ReadAtPlanningTest {
    private final FakeBed bed = new FakeBed();
    /** The host calls that read a definition or a snapshot, as "method arg". */
    private final List<String> reads = Collections.synchronizedList(new ArrayList<>());

    private Host counted() {
        Host real = bed.host();
        return (Host) Proxy.newProxyInstance(Host.class.getClassLoader(), new Class<?>[] {Host.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "domainXml" -> reads.add("domainXml live=" + args[1]);
                        case "snapshotXml" -> reads.add("snapshotXml " + args[1]);
                        case "currentSnapshotXml" -> reads.add("currentSnapshotXml");
                        default -> { }
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aRevertReadsTheDefinitionAndTheTargetSnapshotOnceAndStillDefinesAndMarksThemCurrent() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2"), DiskSpec.qcow2("vdb", "b.qcow2")));
        DomainSnapshots plain = bed.manager().domain(dom);
        plain.setup("/fake/esm").execute();
        plain.snapshot("s1").description("the first").create();
        plain.snapshot("s2").create();

        DomainSnapshots d = new CoreSnapshotManager(counted()).domain(dom);
        reads.clear();
        d.revert("s1").execute();

        assertEquals(1, reads.stream().filter(r -> r.equals("domainXml live=false")).count(), reads.toString());
        assertEquals(1, reads.stream().filter(r -> r.equals("snapshotXml s1")).count(), reads.toString());
        assertEquals(Optional.of("s1"), bed.host().currentSnapshot(dom));
        assertEquals("the first", plain.chain().get("s1").description());
        String defined = bed.host().domainXml(dom, false);
        for (var image : plain.chain().get("s1").images()) {
            assertTrue(!defined.contains("'" + image.path() + "'") && !defined.contains("\"" + image.path() + "\""),
                    "the domain runs on new overlays, not on " + image.path());
        }
    }
}
