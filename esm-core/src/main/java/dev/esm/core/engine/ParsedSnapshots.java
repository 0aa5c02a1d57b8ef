package dev.esm.core.engine;

import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.xml.SnapshotXml;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One domain's snapshot XMLs already parsed, by their exact text: a tree read parses only the XMLs it has not seen
 * (parsing is most of a large tree's cost once the XMLs themselves are cached by the host). Keyed by content, so it
 * can never give a stale definition: a changed XML is a new key. After each whole-tree read it holds exactly that
 * read's snapshots, so it never grows beyond the domain's tree. Pure: no I/O.
 *
 * <p>Thread-safety: thread-safe. The memo is an immutable-after-publication map behind a volatile field, replaced
 * whole; concurrent reads may each parse and either's memo is kept.
 */
final class ParsedSnapshots {
    private volatile Map<String, SnapshotDefinition> byXml = Map.of();

    /** @return the definitions of {@code xmls}, in their order; the memo is then exactly these */
    List<SnapshotDefinition> parse(List<String> xmls) {
        Map<String, SnapshotDefinition> known = byXml;
        List<SnapshotDefinition> out = new ArrayList<>(xmls.size());
        boolean missed = false;
        for (String xml : xmls) {
            SnapshotDefinition d = known.get(xml);
            if (d == null) {
                d = SnapshotXml.parse(xml);
                missed = true;
            }
            out.add(d);
        }
        if (missed || known.size() != xmls.size()) {
            Map<String, SnapshotDefinition> next = new HashMap<>(Math.max(16, xmls.size() * 4 / 3 + 1));
            for (int i = 0; i < xmls.size(); i++) {
                next.put(xmls.get(i), out.get(i));
            }
            byXml = next;
        }
        return out;
    }

    /** @return the definition of one XML: from the memo when it was seen, else parsed (the memo is left as it is) */
    SnapshotDefinition parseOne(String xml) {
        SnapshotDefinition d = byXml.get(xml);
        return d != null ? d : SnapshotXml.parse(xml);
    }
}
