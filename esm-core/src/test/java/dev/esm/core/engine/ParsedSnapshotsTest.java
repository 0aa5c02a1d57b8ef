package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.esm.core.model.SnapshotDefinition;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parsed-snapshot memo: seen XMLs are not parsed again, a changed XML always is, and it holds one tree only. */
class ParsedSnapshotsTest {
    private static String xml(String name, String description) {
        return "<domainsnapshot><name>" + name + "</name><description>" + description
                + "</description><creationTime>1</creationTime><state>shutoff</state></domainsnapshot>";
    }

    @Test
    void anXmlSeenBeforeIsNotParsedAgain() {
        ParsedSnapshots p = new ParsedSnapshots();
        List<SnapshotDefinition> first = p.parse(List.of(xml("a", ""), xml("b", "")));
        List<SnapshotDefinition> again = p.parse(List.of(new String(xml("a", "")), xml("b", "")));
        assertSame(first.get(0), again.get(0), "equal text, even another String, is the same definition");
        assertSame(first.get(1), p.parseOne(xml("b", "")));
    }

    @Test
    void aChangedXmlWithTheSameNameIsParsedAfresh() {
        ParsedSnapshots p = new ParsedSnapshots();
        p.parse(List.of(xml("a", "old")));
        SnapshotDefinition changed = p.parse(List.of(xml("a", "new"))).get(0);
        assertEquals("new", changed.description());
        assertEquals("new", p.parseOne(xml("a", "new")).description());
    }

    @Test
    void theMemoHoldsTheLastTreeOnly() {
        ParsedSnapshots p = new ParsedSnapshots();
        SnapshotDefinition a = p.parse(List.of(xml("a", ""))).get(0);
        p.parse(List.of(xml("b", "")));
        assertNotSame(a, p.parseOne(xml("a", "")), "a left the tree and the memo");
        assertEquals(List.of("a", "b"), p.parse(List.of(xml("a", ""), xml("b", ""))).stream()
                .map(SnapshotDefinition::name).toList());
    }
}
