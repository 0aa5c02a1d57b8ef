package dev.esm.libvirt.internal.state;

import dev.esm.api.errors.StorageException;
import dev.esm.core.xml.Xml;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import dev.esm.libvirt.internal.connect.DomainHandles;
import dev.esm.libvirt.internal.connect.LibvirtErrors;
import dev.esm.libvirt.internal.connect.LibvirtFlags;
import dev.esm.libvirt.internal.pool.PoolStorage;
import dev.esm.libvirt.internal.pool.Volumes;

/**
 * Journals kept in their domain's persistent definition, as one element of its {@code <metadata>} in ESM's journal
 * namespace ({@value #NS}): {@code <esmj:journal length='..' crc32c='..'>}the journal, escaped{@code </esmj:journal>}.
 * Part of {@link PoolStorage}, for journals whose file name is {@code <domain uuid>.journal} of a persistent domain
 * and whose content is at most {@value #MAX} bytes (the element is in every read of the definition while an
 * operation runs); the others stay in {@link HostState}'s volume form.
 *
 * <p>Why: a write is one call ({@code virDomainSetMetadata} with {@code VIR_DOMAIN_AFFECT_CONFIG}); libvirtd saves
 * the definition by writing a new file, syncing it and renaming it over the old one ({@code virFileRewrite}), so a
 * reader sees the old or the new journal, never a torn one, and a written journal survives a host crash. A volume upload is two round trips and makes libvirtd refresh the whole state pool
 * (which the pool's next call waits for). Only the persistent definition is written: ESM reads it from there, and a
 * running domain's live definition becomes nobody's persistent one.
 *
 * <p>The one hazard: ESM defines domains from XML it read earlier (or from a snapshot's copy of the definition),
 * which carries the journal element as it was then. {@link #withCurrent} replaces that element, in the XML about
 * to be defined, with the newest journal (the one this client last wrote or read, else read from libvirt), so a
 * define never brings back a stale journal nor drops the current one.
 *
 * <p>Thread-safety: thread-safe. Domain handles are kept (one per domain) until {@link #close}.
 */
public final class DomainJournals implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DomainJournals.class);
    /** The namespace of the journal element inside a domain's {@code <metadata>}. */
    public static final String NS = "https://esm.dev/xmlns/journal/1";
    /** The prefix libvirt gives the element ({@code virDomainSetMetadata}'s key). */
    public static final String KEY = "esmj";
    /** The largest journal (in bytes of UTF-8) kept in the definition; larger ones go to a volume. */
    public static final int MAX = 64 * 1024;
    private static final String SUFFIX = ".journal";

    private final Connect conn;
    private final Map<String, Domain> domains = new ConcurrentHashMap<>();
    /**
     * The journal element of each domain (by uuid) as this client last wrote, read or removed it: empty when there is
     * none. A domain missing from the map is unknown (read from libvirt when needed).
     */
    private final Map<String, Optional<String>> current = new ConcurrentHashMap<>();

    public DomainJournals(Connect conn) {
        this.conn = conn;
    }

    /** @return the domain uuid a journal's path names ({@code <uuid>.journal}), if it does */
    public static Optional<String> uuidOf(String journalPath) {
        String name = Volumes.fileName(journalPath);
        if (!name.endsWith(SUFFIX)) {
            return Optional.empty();
        }
        String stem = name.substring(0, name.length() - SUFFIX.length());
        try {
            return Optional.of(UUID.fromString(stem).toString()).filter(u -> u.equalsIgnoreCase(stem));
        } catch (IllegalArgumentException notUuid) {
            return Optional.empty();
        }
    }

    /** @return the element that holds {@code content} */
    public static String element(String content) {
        byte[] body = content.getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(body);
        return "<journal length='" + body.length + "' crc32c='" + Long.toHexString(crc.getValue()) + "'>"
                + Xml.escape(content) + "</journal>";
    }

    /**
     * @return the journal an element holds
     * @throws StorageException when the element does not hold what was written (never guessed at)
     */
    public static String content(String element) {
        Element e = Xml.parse(element).getDocumentElement();
        String text = e.getTextContent();
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(body);
        if (!String.valueOf(body.length).equals(e.getAttribute("length"))
                || !Long.toHexString(crc.getValue()).equals(e.getAttribute("crc32c"))) {
            throw new StorageException("the journal in the domain's metadata (" + NS + ") does not match its"
                    + " checksum; it is left as it is");
        }
        return text;
    }

    /** @return the domain with that uuid, or null when there is none (the handle is kept) */
    private Domain domain(String uuid) throws LibvirtException {
        Domain d = domains.get(uuid);
        if (d != null) {
            return d;
        }
        try {
            d = conn.domainLookupByUUIDString(uuid);
        } catch (LibvirtException e) {
            if (LibvirtErrors.isCode(e, "VIR_ERR_NO_DOMAIN")) {
                return null;
            }
            throw e;
        }
        Domain raced = domains.putIfAbsent(uuid, d);
        if (raced != null) {
            DomainHandles.free(d);
            return raced;
        }
        return d;
    }

    /** Drops a kept handle whose domain vanished (undefined, maybe defined again under the same uuid). */
    private void drop(String uuid) {
        DomainHandles.free(domains.remove(uuid));
        current.remove(uuid);
    }

    /**
     * Writes a journal into its domain's definition.
     *
     * @return false when it cannot be kept there (no such domain, a transient one, or too large): the caller keeps
     *         it in a volume
     */
    public boolean write(String uuid, String content) {
        if (content.getBytes(StandardCharsets.UTF_8).length > MAX) {
            return false;
        }
        return set(uuid, element(content));
    }

    private boolean set(String uuid, String element) {
        for (int attempt = 0; ; attempt++) {
            try {
                Domain d = domain(uuid);
                if (d == null) {
                    return false;
                }
                d.setMetadata(LibvirtFlags.METADATA_ELEMENT, element, KEY, NS, LibvirtFlags.AFFECT_CONFIG);
                current.put(uuid, Optional.of(element));
                return true;
            } catch (LibvirtException e) {
                if (attempt == 0 && LibvirtErrors.isCode(e, "VIR_ERR_NO_DOMAIN")) {
                    drop(uuid);
                    continue;
                }
                current.remove(uuid);
                if (LibvirtErrors.isCode(e, "VIR_ERR_OPERATION_INVALID")) {
                    LOG.debug("domain {} keeps no metadata ({}); its journal goes to a volume", uuid, e.getMessage());
                    return false; // a transient domain has no persistent definition
                }
                throw new StorageException("cannot write the journal of domain " + uuid + " into its definition"
                        + " (libvirt: " + e.getMessage() + ")", e);
            }
        }
    }

    /** What a domain's definition says of its journal. */
    public enum Kind {
        /** no journal element: no journal, unless a release before this one left one in a volume */
        NONE,
        /** the journal is in the element */
        HERE,
        /** the element says the journal is in its volume (too large for a definition) */
        IN_VOLUME
    }

    /** A domain's journal element as read: what kind, and the journal when {@link Kind#HERE}. */
    public record Found(Kind kind, Optional<String> journal) {
    }

    /** The element that says a journal is in its volume. */
    public static final String IN_VOLUME = "<journal in='volume'/>";

    /**
     * @return the journal element of the domain's definition, or null when there is no such domain (or it has no
     *         persistent definition)
     */
    public Found read(String uuid) {
        Optional<String> element = elementOf(uuid).orElse(null);
        if (element == null) {
            return null;
        }
        if (element.isEmpty()) {
            return new Found(Kind.NONE, Optional.empty());
        }
        if ("volume".equals(Xml.parse(element.get()).getDocumentElement().getAttribute("in"))) {
            return new Found(Kind.IN_VOLUME, Optional.empty());
        }
        return new Found(Kind.HERE, Optional.of(content(element.get())));
    }

    /**
     * Records in the domain's definition that its journal is in its volume (written just before).
     *
     * @return false when there is no such domain (or no persistent definition)
     */
    public boolean markInVolume(String uuid) {
        return set(uuid, IN_VOLUME);
    }

    /** @return the element (empty inside when none), empty outside when there is no such domain */
    private Optional<Optional<String>> elementOf(String uuid) {
        for (int attempt = 0; ; attempt++) {
            try {
                Domain d = domain(uuid);
                if (d == null) {
                    return Optional.empty();
                }
                Optional<String> e;
                try {
                    e = Optional.of(d.getMetadata(LibvirtFlags.METADATA_ELEMENT, NS, LibvirtFlags.AFFECT_CONFIG));
                } catch (LibvirtException none) {
                    if (LibvirtErrors.isCode(none, "VIR_ERR_OPERATION_INVALID")) {
                        return Optional.empty(); // a transient domain: no persistent definition
                    }
                    if (!LibvirtErrors.isCode(none, "VIR_ERR_NO_DOMAIN_METADATA")) {
                        throw none;
                    }
                    e = Optional.empty();
                }
                current.put(uuid, e);
                return Optional.of(e);
            } catch (LibvirtException e) {
                if (attempt == 0 && LibvirtErrors.isCode(e, "VIR_ERR_NO_DOMAIN")) {
                    drop(uuid);
                    continue;
                }
                throw new StorageException("cannot read the journal of domain " + uuid + " from its definition"
                        + " (libvirt: " + e.getMessage() + ")", e);
            }
        }
    }

    /** Removes the journal from its domain's definition; fine if there is none (or no such domain). */
    public void remove(String uuid) {
        Optional<String> known = current.get(uuid);
        if (known != null && known.isEmpty()) {
            return; // this client removed it or saw none, and holds the domain's lease (no one else writes it)
        }
        try {
            Domain d = domain(uuid);
            if (d != null) {
                d.setMetadata(LibvirtFlags.METADATA_ELEMENT, null, null, NS, LibvirtFlags.AFFECT_CONFIG);
            }
            current.put(uuid, Optional.empty());
        } catch (LibvirtException e) {
            current.remove(uuid);
            if (LibvirtErrors.isCode(e, "VIR_ERR_NO_DOMAIN")) {
                drop(uuid);
                return;
            }
            throw new StorageException("cannot remove the journal of domain " + uuid + " from its definition"
                    + " (libvirt: " + e.getMessage() + ")", e);
        }
    }

    /** Forgets what this client knows of the domains' journals (another client may write them now). */
    public void forget() {
        current.clear();
    }

    /**
     * @param domainXml a definition about to be defined
     * @return the definition with its journal element (if any) replaced by the domain's newest journal
     */
    public String withCurrent(String domainXml) {
        Document doc = Xml.parse(domainXml);
        String uuid = Xml.childText(doc.getDocumentElement(), "uuid").map(String::trim).orElse("");
        Optional<String> newest;
        if (uuid.isEmpty()) {
            newest = Optional.empty(); // a new domain: no journal yet
        } else {
            Optional<String> known = current.get(uuid);
            newest = known != null ? known : elementOf(uuid).flatMap(e -> e);
        }
        return replaced(doc, domainXml, newest);
    }

    /**
     * @param domainXml a definition
     * @param element the journal element it is to carry, if any
     * @return the definition with every element of ESM's journal namespace in its {@code <metadata>} replaced by
     *         {@code element}; the rest of the metadata (ESM's record, other programs' elements) is kept
     */
    public static String replaced(String domainXml, Optional<String> element) {
        return replaced(Xml.parse(domainXml), domainXml, element);
    }

    private static String replaced(Document doc, String domainXml, Optional<String> element) {
        Element domain = doc.getDocumentElement();
        Optional<Element> metadata = Xml.child(domain, "metadata");
        boolean carries = metadata.isPresent() && Xml.elements(metadata.get()).stream()
                .anyMatch(e -> NS.equals(e.getNamespaceURI()));
        if (!carries && element.isEmpty()) {
            return domainXml;
        }
        Element m = metadata.orElseGet(() -> {
            Element made = doc.createElement("metadata");
            Element anchor = Xml.child(domain, "uuid").or(() -> Xml.child(domain, "name")).orElseThrow();
            domain.insertBefore(made, anchor.getNextSibling());
            return made;
        });
        for (Element e : Xml.elements(m)) {
            if (NS.equals(e.getNamespaceURI())) {
                m.removeChild(e);
            }
        }
        element.ifPresent(e -> m.appendChild(doc.importNode(namespaced(e), true)));
        return Xml.write(doc);
    }

    /** @return the element in ESM's journal namespace (libvirt returns it so; a written one has none yet) */
    private static Node namespaced(String element) {
        Element e = Xml.parse(element).getDocumentElement();
        if (NS.equals(e.getNamespaceURI())) {
            return e;
        }
        Document doc = e.getOwnerDocument();
        Element ns = doc.createElementNS(NS, KEY + ":" + e.getLocalName());
        for (int i = 0; i < e.getAttributes().getLength(); i++) {
            Node a = e.getAttributes().item(i);
            ns.setAttribute(a.getNodeName(), a.getNodeValue());
        }
        ns.setTextContent(e.getTextContent());
        return ns;
    }

    @Override
    public void close() {
        domains.values().forEach(DomainHandles::free);
        domains.clear();
        current.clear();
    }
}
