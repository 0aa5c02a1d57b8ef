package dev.esm.core.plan;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.Operation;
import dev.esm.api.errors.JournalVersionException;
import dev.esm.core.model.EsmRecord;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.Xml;
import dev.esm.core.xml.XmlException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Writes and reads a {@link Journal} as XML. Steps are records; their components are written generically
 * (strings, optional strings, booleans, images, maps of images, lists of strings, ESM records), each as a
 * {@code <v name="component">} element. Stateless; thread-safe.
 *
 * <p>A journal outlives the process that wrote it, and possibly the ESM release: a journal left by one release is
 * recovered by the next. So the format is versioned ({@link #VERSION}, the root's {@code version} attribute) and
 * read by name, never by position: a step's components are matched to the record's components by their names, in
 * any order; a name this release does not know is ignored; a component the journal lacks is empty when it is an
 * {@code Optional}, a list or a map, {@code false} when a boolean, and an error otherwise. A journal of another
 * version is refused with a {@link JournalVersionException} that says what to do, and left untouched. A change to a
 * step record that old journals cannot satisfy by these rules needs a new version (and a reader for the old one).
 * {@code src/test/resources/journals/} keeps journals written by each version, and a test recovers them.
 */
public final class JournalXml {
    /** The journal format this ESM writes and reads. */
    public static final int VERSION = 1;

    private JournalXml() {
    }

    /** @return the journal as an XML document */
    public static String write(Journal j) {
        Document doc = Xml.newDocument();
        Element root = doc.createElement("esm-journal");
        doc.appendChild(root);
        root.setAttribute("version", Integer.toString(VERSION));
        root.setAttribute("operation", j.operation().name());
        root.setAttribute("domain", j.domain());
        root.setAttribute("target", j.target());
        root.setAttribute("next", Integer.toString(j.next()));
        root.setAttribute("started", j.started().toString());
        Element steps = doc.createElement("steps");
        root.appendChild(steps);
        j.steps().forEach(s -> steps.appendChild(step(doc, s)));
        Element abort = doc.createElement("on-abort");
        root.appendChild(abort);
        j.onAbort().forEach(s -> abort.appendChild(step(doc, s)));
        Element saved = doc.createElement("saved");
        root.appendChild(saved);
        j.saved().forEach((name, xml) -> {
            Element e = doc.createElement("snapshot");
            e.setAttribute("name", name);
            e.setTextContent(xml);
            saved.appendChild(e);
        });
        return Xml.write(doc);
    }

    /** @return the journal read back; errors call it "the recovery journal of domain '...'" */
    public static Journal read(String xml) {
        return read(xml, null);
    }

    /**
     * @param xml the journal
     * @param where what to call the journal in an error (its path), or null for "the recovery journal of domain
     *              '...'" (the domain named in it)
     * @return the journal read back
     * @throws JournalVersionException when the journal is of another format version than {@link #VERSION}
     * @throws XmlException when it is not a journal, or a step in it cannot be read
     */
    public static Journal read(String xml, String where) {
        Element root = Xml.parse(xml).getDocumentElement();
        if (where == null) {
            where = "the recovery journal" + (root.hasAttribute("domain") ? " of domain '" + root.getAttribute("domain")
                    + "'" : "");
        }
        if (!"esm-journal".equals(root.getTagName())) {
            throw new XmlException(where + " is not an ESM journal (its root element is <" + root.getTagName() + ">)");
        }
        String version = root.hasAttribute("version") ? root.getAttribute("version") : null;
        if (!Integer.toString(VERSION).equals(version)) {
            String domain = root.hasAttribute("domain") ? "'" + root.getAttribute("domain") + "'" : "<domain>";
            throw new JournalVersionException(where + (version == null ? " names no format version"
                    : " is in journal format version " + version) + "; this ESM reads and writes version " + VERSION
                    + " only. An unfinished operation of another ESM release (most likely a newer one) left it: "
                    + "recover the domain with that release (esm recover " + domain + ", or open the domain with it), "
                    + "then use this one. Nothing was changed, and the journal is left as it is.", version, VERSION);
        }
        List<Step> steps = new ArrayList<>();
        Xml.elements(Xml.child(root, "steps").orElseThrow()).forEach(e -> steps.add(readStep(e)));
        List<Step> abort = new ArrayList<>();
        Xml.child(root, "on-abort").ifPresent(a -> Xml.elements(a).forEach(e -> abort.add(readStep(e))));
        Map<String, String> saved = new LinkedHashMap<>();
        Xml.child(root, "saved").ifPresent(sv -> Xml.elements(sv).forEach(e -> saved.put(e.getAttribute("name"),
                e.getTextContent())));
        return new Journal(Operation.valueOf(root.getAttribute("operation")), root.getAttribute("domain"), steps,
                abort, root.getAttribute("target"), Integer.parseInt(root.getAttribute("next")),
                Instant.parse(root.getAttribute("started")), saved);
    }

    private static Element step(Document doc, Step s) {
        Element e = doc.createElement("step");
        e.setAttribute("kind", s.getClass().getSimpleName());
        for (RecordComponent c : s.getClass().getRecordComponents()) {
            try {
                Object v = c.getAccessor().invoke(s);
                e.appendChild(value(doc, c.getName(), v));
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
        }
        return e;
    }

    private static Element value(Document doc, String name, Object v) {
        Element e = doc.createElement("v");
        e.setAttribute("name", name);
        if (v instanceof String str) {
            e.setAttribute("string", str);
        } else if (v instanceof Boolean b) {
            e.setAttribute("boolean", b.toString());
        } else if (v instanceof DiskImage img) {
            image(e, img);
        } else if (v instanceof Map<?, ?> m) {
            for (Object img : m.values()) {
                Element i = doc.createElement("image");
                image(i, (DiskImage) img);
                e.appendChild(i);
            }
        } else if (v instanceof List<?> l) {
            for (Object item : l) {
                Element i = doc.createElement("item");
                if (item instanceof DiskImage img) {
                    image(i, img);
                } else {
                    i.setAttribute("string", (String) item);
                }
                e.appendChild(i);
            }
        } else if (v instanceof Optional<?> o) {
            o.filter(String.class::isInstance).ifPresent(str -> e.setAttribute("optional-string", (String) str));
            o.filter(EsmRecord.class::isInstance).ifPresent(r -> {
                String domain = DomainXml.rewrite("<domain><name>x</name></domain>", Map.of(),
                        Optional.of((EsmRecord) r));
                e.setAttribute("record", domain);
            });
        } else {
            throw new IllegalArgumentException("cannot journal " + v);
        }
        return e;
    }

    private static void image(Element e, DiskImage img) {
        e.setAttribute("target", img.target());
        e.setAttribute("path", img.path());
        e.setAttribute("format", img.format().id());
    }

    private static DiskImage readImage(Element e) {
        return new DiskImage(e.getAttribute("target"), e.getAttribute("path"),
                ImageFormat.fromId(e.getAttribute("format")).orElseThrow());
    }

    private static Step readStep(Element e) {
        String kind = e.getAttribute("kind");
        Class<?> type = null;
        for (Class<?> c : Step.class.getPermittedSubclasses()) {
            if (c.getSimpleName().equals(kind)) {
                type = c;
            }
        }
        if (type == null) {
            throw new XmlException("unknown journal step '" + kind + "': the journal was written by an ESM release with "
                    + "steps this one does not know; recover the domain with that release, then use this one");
        }
        RecordComponent[] comps = type.getRecordComponents();
        Map<String, Element> values = new LinkedHashMap<>();
        for (Element v : Xml.elements(e)) {
            if (values.putIfAbsent(v.getAttribute("name"), v) != null) {
                throw new XmlException("journal step " + kind + " has component '" + v.getAttribute("name") + "' twice");
            }
        }
        Object[] args = new Object[comps.length];
        Class<?>[] types = new Class<?>[comps.length];
        for (int i = 0; i < comps.length; i++) {
            types[i] = comps[i].getType();
            Element v = values.get(comps[i].getName());
            args[i] = v != null ? readValue(v, comps[i].getType(), comps[i].getGenericType())
                    : absent(kind, comps[i]);
        }
        try {
            Constructor<?> ctor = type.getDeclaredConstructor(types);
            return (Step) ctor.newInstance(args);
        } catch (ReflectiveOperationException ex) {
            throw new XmlException("cannot read journal step " + kind + ": " + ex, ex);
        }
    }

    /** @return the value of a component the journal does not have: empty or false where that means something */
    private static Object absent(String kind, RecordComponent c) {
        if (c.getType() == Optional.class) {
            return Optional.empty();
        } else if (c.getType() == List.class) {
            return List.of();
        } else if (c.getType() == Map.class) {
            return Map.of();
        } else if (c.getType() == boolean.class) {
            return false;
        }
        throw new XmlException("journal step " + kind + " lacks its component '" + c.getName() + "'");
    }

    private static Object readValue(Element v, Class<?> type, Type generic) {
        if (type == String.class) {
            return v.getAttribute("string");
        } else if (type == boolean.class) {
            return Boolean.parseBoolean(v.getAttribute("boolean"));
        } else if (type == DiskImage.class) {
            return readImage(v);
        } else if (type == Map.class) {
            Map<String, DiskImage> m = new LinkedHashMap<>();
            Xml.elements(v).forEach(i -> {
                DiskImage img = readImage(i);
                m.put(img.target(), img);
            });
            return m;
        } else if (type == List.class) {
            Type item = ((ParameterizedType) generic).getActualTypeArguments()[0];
            List<Object> l = new ArrayList<>();
            Xml.elements(v).forEach(i -> l.add(item == DiskImage.class ? readImage(i) : i.getAttribute("string")));
            return l;
        } else if (type == Optional.class && generic instanceof ParameterizedType p
                && p.getActualTypeArguments()[0] == String.class) {
            return v.hasAttribute("optional-string") ? Optional.of(v.getAttribute("optional-string")) : Optional.empty();
        } else if (type == Optional.class && generic instanceof ParameterizedType) {
            return v.hasAttribute("record") ? DomainXml.parse(v.getAttribute("record")).record() : Optional.empty();
        }
        throw new XmlException("cannot read a journal value of type " + type);
    }
}
