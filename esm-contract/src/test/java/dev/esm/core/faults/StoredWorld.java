package dev.esm.core.faults;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import dev.esm.core.fake.FakeHost;
import dev.esm.core.fake.FakeStorage;
import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.xml.SnapshotXml;
import dev.esm.core.xml.Xml;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * One domain's world on the fake host written down as XML, and read back into another fake host: the images (with
 * backing references and their own blocks), the small files (memory files), the persistent definition and the
 * snapshot metadata. With a stored journal it is the state a stopped process left, kept as a test fixture that does
 * not depend on what today's planner would do (see {@link StoredJournalTest}).
 */
final class StoredWorld {
    private StoredWorld() {
    }

    /** @return the domain's world, leaving out {@code except} (the journal, stored on its own) */
    static String dump(FakeHost host, FakeStorage storage, String domain, String except) {
        Document doc = Xml.newDocument();
        Element root = doc.createElement("fake-world");
        root.setAttribute("domain", domain);
        doc.appendChild(root);
        List<String> images = new ArrayList<>();
        for (String f : storage.files()) {
            if (f.equals(except)) {
                continue;
            }
            Optional<String> text = storage.read(f);
            if (text.isPresent()) {
                Element e = doc.createElement("file");
                e.setAttribute("path", f);
                e.setTextContent(text.get());
                root.appendChild(e);
            } else {
                images.add(f);
            }
        }
        // Backing images before the images they back, so that loading can make them in this order.
        Set<String> written = new HashSet<>();
        while (written.size() < images.size()) {
            for (String f : images) {
                ImageInfo info = storage.info(f, format(storage, f));
                if (written.contains(f) || info.backing().isPresent() && !written.contains(info.backing().get())) {
                    continue;
                }
                Element e = doc.createElement("image");
                e.setAttribute("path", f);
                e.setAttribute("format", info.format().id());
                e.setAttribute("size", Long.toString(info.virtualSize()));
                info.backing().ifPresent(b -> e.setAttribute("backing", b));
                info.backingFormat().ifPresent(b -> e.setAttribute("backing-format", b.id()));
                storage.blocks(f).forEach((block, pattern) -> {
                    Element b = doc.createElement("block");
                    b.setAttribute("index", Long.toString(block));
                    b.setAttribute("pattern", Integer.toString(pattern));
                    e.appendChild(b);
                });
                root.appendChild(e);
                written.add(f);
            }
        }
        Element def = doc.createElement("domain");
        def.setTextContent(host.domainXml(domain, false));
        root.appendChild(def);
        String current = host.currentSnapshot(domain).orElse(null);
        // Parents before children, as libvirt wants them redefined.
        List<String> xmls = host.snapshotXmls(domain);
        Set<String> done = new HashSet<>();
        while (done.size() < xmls.size()) {
            for (String xml : xmls) {
                SnapshotDefinition s = SnapshotXml.parse(xml);
                if (done.contains(s.name()) || s.parent().isPresent() && !done.contains(s.parent().get())) {
                    continue;
                }
                Element e = doc.createElement("snapshot");
                e.setAttribute("current", Boolean.toString(s.name().equals(current)));
                e.setTextContent(xml);
                root.appendChild(e);
                done.add(s.name());
            }
        }
        return Xml.write(doc);
    }

    private static ImageFormat format(FakeStorage storage, String path) {
        for (ImageFormat f : ImageFormat.values()) {
            try {
                storage.info(path, f);
                return f;
            } catch (RuntimeException wrongFormat) {
                // try the next
            }
        }
        throw new IllegalStateException("no format fits " + path);
    }

    /** Puts a stored world into an empty fake host. @return the domain's name */
    static String load(String xml, FakeHost host, FakeStorage storage) {
        Element root = Xml.parse(xml).getDocumentElement();
        for (Element e : Xml.elements(root)) {
            switch (e.getTagName()) {
                case "file" -> {
                    String path = e.getAttribute("path");
                    storage.makeDirectory(path.substring(0, path.lastIndexOf('/')));
                    storage.writeAtomically(path, e.getTextContent());
                }
                case "image" -> {
                    String path = e.getAttribute("path");
                    storage.makeDirectory(path.substring(0, path.lastIndexOf('/')));
                    ImageFormat format = ImageFormat.fromId(e.getAttribute("format")).orElseThrow();
                    if (e.hasAttribute("backing")) {
                        storage.createOverlay(path, new DiskImage("x", e.getAttribute("backing"),
                                ImageFormat.fromId(e.getAttribute("backing-format")).orElseThrow()));
                    } else {
                        storage.addImage(path, format, Long.parseLong(e.getAttribute("size")));
                    }
                    for (Element b : Xml.children(e, "block")) {
                        storage.write(path, Long.parseLong(b.getAttribute("index")),
                                Integer.parseInt(b.getAttribute("pattern")));
                    }
                }
                case "domain" -> host.defineDomain(e.getTextContent());
                case "snapshot" -> host.redefineSnapshot(root.getAttribute("domain"), e.getTextContent(),
                        Boolean.parseBoolean(e.getAttribute("current")));
                default -> throw new IllegalArgumentException("unknown element " + e.getTagName());
            }
        }
        return root.getAttribute("domain");
    }
}
