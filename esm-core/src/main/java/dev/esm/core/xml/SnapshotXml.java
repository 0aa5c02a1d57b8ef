package dev.esm.core.xml;

import dev.esm.api.DiskImage;
import dev.esm.api.SnapshotState;
import dev.esm.core.model.DiskDef;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.SnapshotDefinition;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** Reads and builds libvirt domain-snapshot XML. Stateless; thread-safe. */
public final class SnapshotXml {
    private SnapshotXml() {
    }

    /**
     * @param xml a {@code <domainsnapshot>} document as libvirt returns it
     * @return the parsed snapshot; its images are the eligible disk sources of the saved domain definition
     */
    public static SnapshotDefinition parse(String xml) {
        Element root = Xml.parse(xml).getDocumentElement();
        if (!"domainsnapshot".equals(Xml.localName(root))) {
            throw new XmlException("expected <domainsnapshot>, found <" + Xml.localName(root) + ">");
        }
        String name = Xml.childText(root, "name").orElseThrow(() -> new XmlException("snapshot XML has no <name>"));
        Optional<String> parent = Xml.child(root, "parent").flatMap(p -> Xml.childText(p, "name"));
        Instant created = Xml.childText(root, "creationTime").map(Long::parseLong).map(Instant::ofEpochSecond)
                .orElse(Instant.EPOCH);
        String description = Xml.childText(root, "description").orElse("");
        SnapshotState state = SnapshotState.fromLibvirt(Xml.childText(root, "state").orElse(null));
        Set<String> excluded = new HashSet<>();
        for (Element d : Xml.path(root, "disks", "disk")) {
            if (Xml.attr(d, "snapshot").filter("no"::equals).isPresent()) {
                excluded.add(d.getAttribute("name"));
            }
        }
        List<DiskImage> images = Xml.child(root, "domain")
                .map(dom -> DomainXml.parse(dom, ""))
                .map(def -> def.eligibleDisks().stream()
                        .filter(d -> !excluded.contains(d.target()))
                        .flatMap(d -> d.image().stream())
                        .toList())
                .orElse(List.of());
        Optional<String> memory = Xml.child(root, "memory")
                .filter(m -> "external".equals(m.getAttribute("snapshot")))
                .flatMap(m -> Xml.attr(m, "file")).filter(f -> !f.isEmpty());
        return new SnapshotDefinition(name, parent, created, description, state, images, xml, memory);
    }

    /**
     * Builds the XML that asks libvirt for an external snapshot with memory state: the memory to {@code memoryFile},
     * the disks to overlays ESM prepared.
     *
     * @param memoryFile where libvirt saves the domain's memory and device state
     * @return the document for {@code virDomainSnapshotCreateXML}
     */
    public static String forCreate(String name, String description, List<DiskImage> overlays,
                                   Collection<String> excludedTargets, Optional<String> memoryFile) {
        String xml = forCreate(name, description, overlays, excludedTargets);
        if (memoryFile.isEmpty()) {
            return xml;
        }
        Document doc = Xml.parse(xml);
        Element root = doc.getDocumentElement();
        Element memory = doc.createElement("memory");
        memory.setAttribute("snapshot", "external");
        memory.setAttribute("file", memoryFile.get());
        root.insertBefore(memory, Xml.child(root, "disks").orElseThrow());
        return Xml.write(doc);
    }

    /**
     * Builds the XML that asks libvirt for an external, disk-only snapshot on overlays ESM prepared.
     *
     * @param name the snapshot's name
     * @param description its description, may be empty
     * @param overlays the new overlay of each disk that takes part
     * @param excludedTargets the disks that do not take part
     * @return the document for {@code virDomainSnapshotCreateXML}
     */
    public static String forCreate(String name, String description, List<DiskImage> overlays,
                                   Collection<String> excludedTargets) {
        Document doc = Xml.newDocument();
        Element root = doc.createElement("domainsnapshot");
        doc.appendChild(root);
        text(doc, root, "name", name);
        if (description != null && !description.isEmpty()) {
            text(doc, root, "description", description);
        }
        Element disks = doc.createElement("disks");
        root.appendChild(disks);
        for (DiskImage o : overlays) {
            Element d = doc.createElement("disk");
            d.setAttribute("name", o.target());
            d.setAttribute("snapshot", "external");
            d.setAttribute("type", "file");
            Element driver = doc.createElement("driver");
            driver.setAttribute("type", o.format().id());
            d.appendChild(driver);
            Element source = doc.createElement("source");
            source.setAttribute("file", o.path());
            d.appendChild(source);
            disks.appendChild(d);
        }
        for (String t : excludedTargets) {
            Element d = doc.createElement("disk");
            d.setAttribute("name", t);
            d.setAttribute("snapshot", "no");
            disks.appendChild(d);
        }
        return Xml.write(doc);
    }

    /**
     * Builds a complete snapshot document as libvirt stores it: what a create request becomes once taken.
     * Used by redefinition and by test doubles of libvirt.
     *
     * @param createXml the request, as from {@link #forCreate}
     * @param parent the parent's name, if any
     * @param created the creation time
     * @param state the domain's state at the time
     * @param domainXml the domain definition at the time (disks on the images that become frozen)
     * @return the full document
     */
    public static String full(String createXml, Optional<String> parent, Instant created, SnapshotState state,
                              String domainXml) {
        Document doc = Xml.parse(createXml);
        Element root = doc.getDocumentElement();
        Element disks = Xml.child(root, "disks").orElseThrow();
        Element stateEl = doc.createElement("state");
        stateEl.setTextContent(state.libvirtName());
        root.insertBefore(stateEl, disks);
        parent.ifPresent(p -> {
            Element pe = doc.createElement("parent");
            text(doc, pe, "name", p);
            root.insertBefore(pe, disks);
        });
        Element ct = doc.createElement("creationTime");
        ct.setTextContent(Long.toString(created.getEpochSecond()));
        root.insertBefore(ct, disks);
        if (Xml.child(root, "memory").isEmpty()) {
            Element memory = doc.createElement("memory");
            memory.setAttribute("snapshot", "no");
            root.insertBefore(memory, disks);
        }
        root.appendChild(doc.importNode(Xml.parse(domainXml).getDocumentElement(), true));
        return Xml.write(doc);
    }

    /**
     * @param xml a full snapshot document
     * @param parent the new parent, or empty for none
     * @return the document with its {@code <parent>} replaced
     */
    public static String withParent(String xml, Optional<String> parent) {
        Document doc = Xml.parse(xml);
        Element root = doc.getDocumentElement();
        Xml.removeChildren(root, "parent");
        parent.ifPresent(p -> {
            Element pe = doc.createElement("parent");
            text(doc, pe, "name", p);
            Element anchor = Xml.child(root, "creationTime").orElse(null);
            root.insertBefore(pe, anchor);
        });
        return Xml.write(doc);
    }

    /**
     * Whether two snapshot documents say the same: the same parent and, apart from it, the same text once the
     * layout between elements (indentation, line breaks) is set aside. Conservative: documents that differ only in
     * how they are written (attribute order, quoting) count as different.
     *
     * @param a a full snapshot document
     * @param b another one
     * @return whether redefining the snapshot with {@code b} would change nothing of {@code a}
     */
    public static boolean sameDefinition(String a, String b) {
        Element ra = Xml.parse(a).getDocumentElement();
        Element rb = Xml.parse(b).getDocumentElement();
        if (!parentOf(ra).equals(parentOf(rb))) {
            return false;
        }
        Xml.removeChildren(ra, "parent");
        Xml.removeChildren(rb, "parent");
        return layoutFree(Xml.write(ra)).equals(layoutFree(Xml.write(rb)));
    }

    private static Optional<String> parentOf(Element root) {
        return Xml.child(root, "parent").flatMap(p -> Xml.childText(p, "name"));
    }

    private static String layoutFree(String xml) {
        return xml.replaceAll(">\\s+<", "><").strip();
    }

    /**
     * The snapshot's saved definitions pointed at new frozen images: the domain's ({@code <domain>}) and, where libvirt
     * saved it too (a snapshot of a running domain, libvirt 7.0 on), its persistent one ({@code <inactiveDomain>}),
     * which named the same images. Both are rewritten as libvirt 9.0 rewrites a child's when its parent's metadata
     * goes: so that what 9.0 leaves compares equal ({@link #sameDefinition}) and needs no redefinition, and no saved
     * definition names a merged file that is gone.
     *
     * @param xml a full snapshot document
     * @param images the new frozen image per disk target
     * @return the document with the saved domain definitions' disks pointed at the new images
     */
    public static String withImages(String xml, java.util.Map<String, DiskImage> images) {
        Document doc = Xml.parse(xml);
        Element root = doc.getDocumentElement();
        Element domain = Xml.child(root, "domain").orElseThrow(() -> new XmlException("snapshot '"
                + Xml.childText(root, "name").orElse("?") + "' has no saved domain definition"));
        pointAt(doc, root, domain, images);
        Xml.child(root, "inactiveDomain").ifPresent(inactive -> pointAt(doc, root, inactive, images));
        return Xml.write(doc);
    }

    /** Replaces a saved definition in {@code root} with itself with its disks on {@code images}. */
    private static void pointAt(Document doc, Element root, Element saved, java.util.Map<String, DiskImage> images) {
        String rewritten = DomainXml.rewrite(Xml.write(saved), images, Optional.empty());
        root.replaceChild(doc.importNode(Xml.parse(rewritten).getDocumentElement(), true), saved);
    }

    /** @return the disks of a definition that must be excluded from a snapshot */
    public static List<String> excludedTargets(DomainDefinition def) {
        return def.disks().stream().filter(d -> !d.eligible()).map(DiskDef::target).toList();
    }

    private static void text(Document doc, Element parent, String name, String value) {
        Element e = doc.createElement(name);
        e.setTextContent(value);
        parent.appendChild(e);
    }
}
