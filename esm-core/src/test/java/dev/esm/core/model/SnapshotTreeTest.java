package dev.esm.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.SnapshotState;
import dev.esm.core.xml.DomainXml;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SnapshotTreeTest {
    private static final DomainDefinition DEF = DomainXml.parse("<domain><name>d</name><devices/></domain>");

    private static SnapshotDefinition snap(String name, String parent, int t) {
        return new SnapshotDefinition(name, Optional.ofNullable(parent), Instant.ofEpochSecond(t), "", SnapshotState.SHUTOFF,
                List.of(new DiskImage("vda", "/d/" + name, ImageFormat.QCOW2)), "");
    }

    @Test
    void aTenThousandDeepChainRendersWithoutRecursion() {
        List<SnapshotDefinition> snaps = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            snaps.add(snap("s" + i, i == 0 ? null : "s" + (i - 1), i));
        }
        String out = SnapshotTree.build(DEF, snaps, Optional.of("s9999")).render();
        assertEquals(10_001, out.lines().count());
        assertTrue(out.endsWith("+- s9999 *\n"));
    }

    @Test
    void branchesRenderUnderTheirParentOldestFirstWithTheCurrentMarked() {
        var tree = SnapshotTree.build(DEF, List.of(snap("a", null, 1), snap("b", "a", 2), snap("c", "a", 3),
                snap("d", "b", 4), snap("e", null, 5)), Optional.of("c"));
        assertEquals("base\n+- a\n|  +- b\n|  |  +- d\n|  +- c *\n+- e\n", tree.render());
        assertEquals(List.of("b", "c"), tree.children("a").stream().map(s -> s.name()).toList());
        assertEquals("a", tree.parent("c").orElseThrow().name());
        assertEquals("base", tree.parent("a").orElseThrow().name());
    }

    @Test
    void snapshotsWithMemoryAreMarkedInTheRenderedTree() {
        SnapshotDefinition a = snap("a", null, 1);
        SnapshotDefinition m = new SnapshotDefinition("m", Optional.of("a"), Instant.ofEpochSecond(2), "",
                SnapshotState.RUNNING, a.images(), "", Optional.of("/d/m.memory"));
        var tree = SnapshotTree.build(DEF, List.of(a, m), Optional.of("m"));
        assertEquals("base\n+- a\n   +- m [memory] *\n", tree.render());
        assertTrue(tree.get("m").hasMemory());
        assertEquals(Optional.of("/d/m.memory"), tree.get("m").memoryFile());
    }
}
