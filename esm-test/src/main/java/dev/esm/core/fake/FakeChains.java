package dev.esm.core.fake;

import dev.esm.api.ImageFormat;
import dev.esm.core.xml.Xml;
import java.util.Optional;
import org.w3c.dom.Element;

/** The fake's live definitions with each disk's backing chain, as libvirt reports them. Stateless. */
final class FakeChains {
    private FakeChains() {
    }

    /** @return a live definition with each disk's {@code <backingStore>} chain, as libvirt reports it */
    static String withChains(FakeStorage storage, String xml) {
        org.w3c.dom.Document doc = Xml.parse(xml);
        for (Element disk : Xml.path(doc.getDocumentElement(), "devices", "disk")) {
            Optional<String> source = Xml.child(disk, "source").flatMap(e -> Xml.attr(e, "file"));
            Optional<ImageFormat> format = Xml.child(disk, "driver").flatMap(e -> Xml.attr(e, "type"))
                    .flatMap(ImageFormat::fromId);
            if (source.isEmpty() || format.isEmpty() || !storage.exists(source.get())) {
                continue;
            }
            Xml.removeChildren(disk, "backingStore");
            Element cur = disk;
            var info = storage.info(source.get(), format.get());
            while (info.backing().isPresent()) {
                String path = info.backing().get();
                ImageFormat f = info.backingFormat().orElse(ImageFormat.QCOW2);
                Element bs = doc.createElement("backingStore");
                bs.setAttribute("type", "file");
                Element fe = doc.createElement("format");
                fe.setAttribute("type", f.id());
                bs.appendChild(fe);
                Element se = doc.createElement("source");
                se.setAttribute("file", path);
                bs.appendChild(se);
                cur.appendChild(bs);
                cur = bs;
                info = storage.info(path, f);
            }
        }
        return Xml.write(doc);
    }

}
