package dev.esm.core.xml;

import java.util.Map;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/**
 * Rewrites the file paths a domain or snapshot definition names, for a copy of it on another host whose files are
 * elsewhere: every attribute value and text equal to a path of the map (a disk's source, a backing store, a memory
 * file, the firmware variables, ESM's record) becomes its new path; nothing else changes. Stateless.
 */
public final class XmlPaths {
    private XmlPaths() {
    }

    /**
     * @param xml a libvirt domain or snapshot XML
     * @param moved old path to new path
     * @return the XML with every exact occurrence of an old path replaced
     */
    public static String relocate(String xml, Map<String, String> moved) {
        if (moved.entrySet().stream().allMatch(e -> e.getKey().equals(e.getValue()))) {
            return xml;
        }
        Document doc = Xml.parse(xml);
        relocate(doc.getDocumentElement(), moved);
        return Xml.write(doc);
    }

    private static void relocate(Node node, Map<String, String> moved) {
        if (node instanceof Element e) {
            NamedNodeMap attrs = e.getAttributes();
            for (int i = 0; i < attrs.getLength(); i++) {
                Node a = attrs.item(i);
                String to = moved.get(a.getNodeValue());
                if (to != null) {
                    a.setNodeValue(to);
                }
            }
        } else if (node.getNodeType() == Node.TEXT_NODE) {
            String text = node.getNodeValue();
            String to = moved.get(text.trim());
            if (to != null) {
                node.setNodeValue(text.replace(text.trim(), to));
            }
        }
        for (Node c = node.getFirstChild(); c != null; c = c.getNextSibling()) {
            relocate(c, moved);
        }
    }
}
