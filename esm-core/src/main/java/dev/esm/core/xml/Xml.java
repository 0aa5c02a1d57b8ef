package dev.esm.core.xml;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/** Small, safe helpers over the JDK's DOM. Stateless; thread-safe. */
public final class Xml {
    private static final DocumentBuilderFactory FACTORY = factory();
    /** Made once: a factory found anew for every document costs a service lookup (guarded by itself). */
    private static final TransformerFactory TRANSFORMERS = TransformerFactory.newInstance();

    private Xml() {
    }

    private static DocumentBuilderFactory factory() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            return f;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @return {@code s} escaped for XML text and attribute values (either quote); newlines, carriage returns and
     *     tabs as character references, which a parser keeps in an attribute value (a path may hold them)
     */
    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")
                .replace("\"", "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;");
    }

    /**
     * @param xml a document
     * @return the parsed document
     * @throws XmlException if it is not well-formed
     */
    public static Document parse(String xml) {
        try {
            DocumentBuilder b;
            synchronized (FACTORY) {
                b = FACTORY.newDocumentBuilder();
            }
            return b.parse(new InputSource(new StringReader(keepWhiteSpace(xml))));
        } catch (Exception e) {
            throw new XmlException("not well-formed XML: " + e.getMessage(), e);
        }
    }

    /**
     * Protects white space that an XML parser would otherwise change: in attribute values, a newline, carriage
     * return or tab becomes a space (attribute-value normalisation), and a carriage return anywhere becomes a
     * newline (end-of-line handling). libvirt writes such characters as they are (a disk's path may hold a newline),
     * so they are turned into character references first, which every parser keeps. Comments, CDATA sections and
     * processing instructions are left alone.
     *
     * @param xml a document as libvirt writes it
     * @return the same document, with the characters above as character references where they would change
     */
    static String keepWhiteSpace(String xml) {
        if (xml.indexOf('\n') < 0 && xml.indexOf('\r') < 0 && xml.indexOf('\t') < 0) {
            return xml;
        }
        StringBuilder out = new StringBuilder(xml.length() + 16);
        int i = 0;
        int n = xml.length();
        while (i < n) {
            char c = xml.charAt(i);
            if (c == '<') {
                String end = xml.startsWith("<!--", i) ? "-->" : xml.startsWith("<![CDATA[", i) ? "]]>"
                        : xml.startsWith("<?", i) ? "?>" : xml.startsWith("<!", i) ? ">" : null;
                if (end != null) {
                    int stop = xml.indexOf(end, i);
                    stop = stop < 0 ? n : stop + end.length();
                    out.append(xml, i, stop);
                    i = stop;
                    continue;
                }
                // A tag: copy it, protecting white space inside its quoted attribute values.
                char quote = 0;
                for (; i < n; i++) {
                    char t = xml.charAt(i);
                    if (quote != 0) {
                        if (t == quote) {
                            quote = 0;
                        } else if (t == '\n' || t == '\r' || t == '\t') {
                            out.append("&#").append((int) t).append(';');
                            continue;
                        }
                    } else if (t == '"' || t == '\'') {
                        quote = t;
                    } else if (t == '>') {
                        out.append(t);
                        i++;
                        break;
                    }
                    out.append(t);
                }
                continue;
            }
            if (c == '\r') {
                out.append("&#13;");
            } else {
                out.append(c);
            }
            i++;
        }
        return out.toString();
    }

    /** @return a new empty document */
    public static Document newDocument() {
        try {
            synchronized (FACTORY) {
                return FACTORY.newDocumentBuilder().newDocument();
            }
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param node a document or element
     * @return it serialised without an XML declaration
     */
    public static String write(Node node) {
        try {
            Transformer t;
            synchronized (TRANSFORMERS) {
                t = TRANSFORMERS.newTransformer();
            }
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            StringWriter w = new StringWriter();
            t.transform(new DOMSource(node), new StreamResult(w));
            return w.toString();
        } catch (TransformerException e) {
            throw new XmlException("cannot serialise XML: " + e.getMessage(), e);
        }
    }

    /** @return the element children of {@code parent} with local name {@code name} (no namespace) */
    public static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(localName(e)) && e.getNamespaceURI() == null) {
                out.add(e);
            }
        }
        return out;
    }

    /** @return the first element child named {@code name}, if any */
    public static Optional<Element> child(Element parent, String name) {
        List<Element> c = children(parent, name);
        return c.isEmpty() ? Optional.empty() : Optional.of(c.get(0));
    }

    /** @return the trimmed text of the first child named {@code name}, if any */
    public static Optional<String> childText(Element parent, String name) {
        return child(parent, name).map(e -> e.getTextContent().trim());
    }

    /** @return the attribute's value, or empty when absent */
    public static Optional<String> attr(Element e, String name) {
        return e.hasAttribute(name) ? Optional.of(e.getAttribute(name)) : Optional.empty();
    }

    /** Removes every element child named {@code name}. */
    public static void removeChildren(Element parent, String name) {
        for (Element c : children(parent, name)) {
            parent.removeChild(c);
        }
    }

    /** @return the elements below {@code parent} at the given path of names, e.g. {@code devices/disk} */
    public static List<Element> path(Element parent, String... names) {
        List<Element> level = List.of(parent);
        for (String name : names) {
            List<Element> next = new ArrayList<>();
            for (Element e : level) {
                next.addAll(children(e, name));
            }
            level = next;
        }
        return level;
    }

    static String localName(Element e) {
        return e.getLocalName() != null ? e.getLocalName() : e.getTagName();
    }

    /** Lists the element children of a node. */
    public static List<Element> elements(Node parent) {
        List<Element> out = new ArrayList<>();
        NodeList nl = parent.getChildNodes();
        for (int i = 0; i < nl.getLength(); i++) {
            if (nl.item(i) instanceof Element e) {
                out.add(e);
            }
        }
        return out;
    }
}
