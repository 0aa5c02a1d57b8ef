package dev.esm.core.xml;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.core.model.DiskDef;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.EsmRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** Reads and rewrites libvirt domain XML. Stateless; thread-safe. */
public final class DomainXml {
    /** The namespace of ESM's record inside a domain's {@code <metadata>}. */
    public static final String NS = "https://esm.dev/xmlns/esm/1";
    private static final String PREFIX = "esm";
    /**
     * Where the system libvirtd keeps each emulated TPM's state unless the TPM names a folder or file of its own:
     * {@code <this>/<domain uuid>/tpm2} (TPM 2.0) or {@code tpm1.2}.
     */
    public static final String SWTPM_STATE_DIR = "/var/lib/libvirt/swtpm";

    private DomainXml() {
    }

    /**
     * @param xml a {@code <domain>} document
     * @return the parsed definition
     */
    public static DomainDefinition parse(String xml) {
        return parse(Xml.parse(xml).getDocumentElement(), xml);
    }

    /**
     * @param domain a {@code <domain>} element (e.g. inside a snapshot)
     * @param xml the text to keep with the definition
     * @return the parsed definition
     */
    public static DomainDefinition parse(Element domain, String xml) {
        if (!"domain".equals(Xml.localName(domain))) {
            throw new XmlException("expected <domain>, found <" + Xml.localName(domain) + ">");
        }
        String name = Xml.childText(domain, "name").orElseThrow(() -> new XmlException("domain XML has no <name>"));
        String uuid = Xml.childText(domain, "uuid").orElse("");
        List<DiskDef> disks = new ArrayList<>();
        for (Element disk : Xml.path(domain, "devices", "disk")) {
            disks.add(disk(disk));
        }
        return new DomainDefinition(name, uuid, disks, record(domain), xml, nvram(domain), tpmState(domain, uuid));
    }

    /**
     * @return the persistent state file of the domain's first emulated TPM ({@code <tpm><backend type='emulator'>}):
     *         in the folder or file its {@code <source type='dir' path=...>} or {@code <source type='file'
     *         path=...>} names (libvirt 10.8 and later), else in libvirt's own folder for it ({@link
     *         #SWTPM_STATE_DIR}{@code /<uuid>/tpm2/tpm2-00.permall}, {@code tpm1.2/tpm-00.permall} for TPM 1.2);
     *         empty for no TPM, and for a passthrough ({@code type='passthrough'}: the host's TPM, no state to keep)
     *         or external one ({@code type='external'}: a swtpm someone else runs, its state where they put it)
     */
    private static Optional<String> tpmState(Element domain, String uuid) {
        for (Element tpm : Xml.path(domain, "devices", "tpm")) {
            Optional<Element> backend = Xml.child(tpm, "backend")
                    .filter(b -> "emulator".equals(Xml.attr(b, "type").orElse("")));
            if (backend.isEmpty()) {
                continue;
            }
            // libvirt writes the version into every definition it gives out; without one, libvirt 9.0's default.
            String model = Xml.attr(tpm, "model").orElse("tpm-tis");
            String version = Xml.attr(backend.get(), "version").orElse(
                    model.equals("tpm-crb") || model.equals("tpm-spapr") ? "2.0" : "1.2");
            String file = version.equals("1.2") ? "tpm-00.permall" : "tpm2-00.permall";
            Optional<Element> source = Xml.child(backend.get(), "source");
            if (source.isPresent()) {
                String type = Xml.attr(source.get(), "type").orElse("dir");
                Optional<String> path = Xml.attr(source.get(), "path").filter(p -> p.startsWith("/"));
                return type.equals("file") ? path : path.map(p -> (p.endsWith("/") ? p : p + "/") + file);
            }
            if (uuid.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(SWTPM_STATE_DIR + "/" + uuid + "/" + (version.equals("1.2") ? "tpm1.2" : "tpm2") + "/"
                    + file);
        }
        return Optional.empty();
    }

    /**
     * @return the firmware variables file: {@code <os><nvram>PATH</nvram>}, or {@code <nvram type='file'><source
     *         file='PATH'/>} (libvirt 8.5 and later); empty for none, or for one not kept in a file
     */
    private static Optional<String> nvram(Element domain) {
        return Xml.child(domain, "os").flatMap(os -> Xml.child(os, "nvram")).flatMap(n -> {
            String type = Xml.attr(n, "type").orElse("file");
            if (!type.equals("file")) {
                return Optional.empty();
            }
            Optional<String> source = Xml.child(n, "source").flatMap(s -> Xml.attr(s, "file"));
            return source.isPresent() ? source : Optional.of(n.getTextContent().trim());
        }).filter(p -> p.startsWith("/"));
    }

    private static DiskDef disk(Element disk) {
        String type = Xml.attr(disk, "type").orElse("file");
        String device = Xml.attr(disk, "device").orElse("disk");
        String target = Xml.child(disk, "target").flatMap(t -> Xml.attr(t, "dev"))
                .orElseThrow(() -> new XmlException("a <disk> has no <target dev=...>"));
        Optional<String> source = Xml.child(disk, "source").flatMap(s -> switch (type) {
            case "file" -> Xml.attr(s, "file");
            case "block" -> Xml.attr(s, "dev");
            default -> Optional.<String>empty();
        }).filter(s -> !s.isEmpty());
        Optional<String> driverType = Xml.child(disk, "driver").flatMap(d -> Xml.attr(d, "type"));
        java.util.Set<String> details = new java.util.TreeSet<>();
        Xml.child(disk, "source").ifPresent(s -> Xml.elements(s).forEach(e -> details.add(Xml.localName(e))));
        Xml.child(disk, "encryption").ifPresent(e -> details.add("encryption"));
        return new DiskDef(target, device, type, source, driverType,
                Xml.child(disk, "readonly").isPresent(), Xml.child(disk, "shareable").isPresent(),
                Xml.attr(disk, "snapshot"), details);
    }

    private static Optional<EsmRecord> record(Element domain) {
        Optional<Element> metadata = Xml.child(domain, "metadata");
        if (metadata.isEmpty()) {
            return Optional.empty();
        }
        for (Element e : Xml.elements(metadata.get())) {
            if (NS.equals(e.getNamespaceURI()) && "record".equals(e.getLocalName())) {
                return Optional.of(readRecord(e));
            }
        }
        return Optional.empty();
    }

    private static EsmRecord readRecord(Element rec) {
        Optional<String> disksDir = Optional.empty();
        List<DiskImage> base = new ArrayList<>();
        Instant frozen = Instant.EPOCH;
        List<DiskImage> unnamed = new ArrayList<>();
        for (Element e : Xml.elements(rec)) {
            switch (e.getLocalName()) {
                case "disks-dir" -> disksDir = Optional.of(e.getTextContent().trim());
                case "base" -> {
                    frozen = Xml.attr(e, "frozen").map(Instant::parse).orElse(Instant.EPOCH);
                    Xml.elements(e).forEach(img -> base.add(readImage(img)));
                }
                case "unnamed" -> Xml.elements(e).forEach(img -> unnamed.add(readImage(img)));
                default -> { }
            }
        }
        return new EsmRecord(disksDir, base, frozen, unnamed);
    }

    private static DiskImage readImage(Element img) {
        ImageFormat format = ImageFormat.fromId(img.getAttribute("format"))
                .orElseThrow(() -> new XmlException("ESM record has an unknown image format: "
                        + img.getAttribute("format")));
        return new DiskImage(img.getAttribute("target"), img.getAttribute("path"), format);
    }

    /**
     * @param xml a running domain's live XML
     * @return the guest CPU it names: its {@code <cpu>} with a {@code <model>}, and the architecture, machine type and
     *         domain type; empty when it names no model (a {@code host-passthrough} CPU, or no {@code <cpu>}), or no
     *         architecture or machine type
     */
    public static Optional<dev.esm.core.model.GuestCpu> guestCpu(String xml) {
        Element root = Xml.parse(xml).getDocumentElement();
        Optional<Element> cpu = Xml.child(root, "cpu").filter(c -> Xml.child(c, "model").isPresent())
                .filter(c -> !Xml.attr(c, "mode").orElse("custom").startsWith("host-passthrough"));
        return cpu.flatMap(c -> machine(xml).map(m -> new dev.esm.core.model.GuestCpu(m.getKey(), m.getValue(),
                Xml.attr(root, "type").orElse("kvm"), Xml.write(c))));
    }

    /**
     * @param xml a domain's XML
     * @return its {@code <os><type arch='...' machine='...'>}: the architecture and the machine type, when both are
     *         named
     */
    public static Optional<Map.Entry<String, String>> machine(String xml) {
        Element root = Xml.parse(xml).getDocumentElement();
        return Xml.child(root, "os").flatMap(os -> Xml.child(os, "type"))
                .filter(t -> !t.getAttribute("arch").isEmpty() && !t.getAttribute("machine").isEmpty())
                .map(t -> Map.entry(t.getAttribute("arch"), t.getAttribute("machine")));
    }

    /**
     * @param xml a live domain definition (with {@code <backingStore>} chains)
     * @param target a disk's target
     * @return the disk's active image and the images below it, as libvirt reports them
     */
    public static List<String> chain(String xml, String target) {
        List<String> out = new ArrayList<>();
        for (Element disk : Xml.path(Xml.parse(xml).getDocumentElement(), "devices", "disk")) {
            if (!Xml.child(disk, "target").flatMap(t -> Xml.attr(t, "dev")).orElse("").equals(target)) {
                continue;
            }
            for (Element cur = disk; cur != null; cur = Xml.child(cur, "backingStore").orElse(null)) {
                Xml.child(cur, "source").flatMap(s -> Xml.attr(s, "file").or(() -> Xml.attr(s, "dev")))
                        .ifPresent(out::add);
            }
        }
        return out;
    }

    /**
     * Rewrites a domain definition: points disks at new images (always files: overlays are files) and sets
     * ESM's record. Everything else is kept as it was.
     *
     * @param xml the domain's current definition
     * @param sources the new active image per disk target; other disks are untouched
     * @param record ESM's record to store, or empty to keep whatever record is there
     * @return the rewritten document
     */
    public static String rewrite(String xml, Map<String, DiskImage> sources, Optional<EsmRecord> record) {
        Document doc = Xml.parse(xml);
        Element domain = doc.getDocumentElement();
        for (Element disk : Xml.path(domain, "devices", "disk")) {
            String target = Xml.child(disk, "target").flatMap(t -> Xml.attr(t, "dev")).orElse("");
            DiskImage image = sources.get(target);
            if (image == null) {
                continue;
            }
            disk.setAttribute("type", "file");
            // A new <source> for the new file that keeps what describes how the disk is used rather than which
            // file it is: startupPolicy, <seclabel> (e.g. relabel='no' on NFS), <reservations>, <encryption>.
            // (Disks with <encryption> or <slices> get no overlays: the planner refuses them.)
            Element source = doc.createElement("source");
            source.setAttribute("file", image.path());
            Optional<Element> old = Xml.child(disk, "source");
            old.ifPresent(o -> {
                Xml.attr(o, "startupPolicy").ifPresent(v -> source.setAttribute("startupPolicy", v));
                for (Element e : Xml.elements(o)) {
                    if (!"slices".equals(Xml.localName(e))) {
                        source.appendChild(e.cloneNode(true));
                    }
                }
            });
            if (old.isPresent()) {
                disk.replaceChild(source, old.get());
            } else {
                disk.insertBefore(source, Xml.child(disk, "target").orElse(null));
            }
            Element driver = Xml.child(disk, "driver").orElseGet(() -> {
                Element d = doc.createElement("driver");
                d.setAttribute("name", "qemu");
                disk.insertBefore(d, disk.getFirstChild());
                return d;
            });
            driver.setAttribute("type", image.format().id());
            Xml.removeChildren(disk, "backingStore");
        }
        record.ifPresent(r -> writeRecord(doc, domain, r));
        return Xml.write(doc);
    }

    private static void writeRecord(Document doc, Element domain, EsmRecord r) {
        Element metadata = Xml.child(domain, "metadata").orElseGet(() -> {
            Element m = doc.createElement("metadata");
            Element anchor = Xml.child(domain, "uuid").or(() -> Xml.child(domain, "name")).orElseThrow();
            domain.insertBefore(m, anchor.getNextSibling());
            return m;
        });
        for (Element e : Xml.elements(metadata)) {
            if (NS.equals(e.getNamespaceURI())) {
                metadata.removeChild(e);
            }
        }
        Element rec = doc.createElementNS(NS, PREFIX + ":record");
        rec.setAttribute("version", "1");
        r.disksDir().ifPresent(d -> {
            Element dd = doc.createElementNS(NS, PREFIX + ":disks-dir");
            dd.setTextContent(d);
            rec.appendChild(dd);
        });
        Element base = doc.createElementNS(NS, PREFIX + ":base");
        base.setAttribute("frozen", r.frozenAt().toString());
        writeImages(doc, base, r.base());
        rec.appendChild(base);
        if (!r.unnamed().isEmpty()) {
            Element unnamed = doc.createElementNS(NS, PREFIX + ":unnamed");
            writeImages(doc, unnamed, r.unnamed());
            rec.appendChild(unnamed);
        }
        metadata.appendChild(rec);
    }

    private static void writeImages(Document doc, Element parent, List<DiskImage> images) {
        for (DiskImage img : images) {
            Element i = doc.createElementNS(NS, PREFIX + ":image");
            i.setAttribute("target", img.target());
            i.setAttribute("format", img.format().id());
            i.setAttribute("path", img.path());
            parent.appendChild(i);
        }
    }
}
