package dev.esm.libvirt.internal.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.errors.StorageException;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.Xml;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import dev.esm.libvirt.internal.state.DomainJournals;

/** The journal element kept in a domain's definition, and its replacement in XML about to be defined. */
class DomainJournalsTest {
    private static final String UUID = "0f8fad5b-d9cb-469f-a165-70867728950e";

    @Test
    void onlyAJournalNamedByADomainUuidIsKeptInTheDefinition() {
        assertEquals(Optional.of(UUID), DomainJournals.uuidOf("/var/lib/libvirt/esm/" + UUID + ".journal"));
        assertEquals(Optional.empty(), DomainJournals.uuidOf("/var/lib/libvirt/esm/it-" + UUID + ".journal"));
        assertEquals(Optional.empty(), DomainJournals.uuidOf("/var/lib/libvirt/esm/" + UUID + ".lock.lease"));
        assertEquals(Optional.empty(), DomainJournals.uuidOf("/var/lib/libvirt/esm/web.journal"));
    }

    @Provide
    Arbitrary<String> journals() {
        // Any text XML can carry (no control characters other than tab, newline and carriage return).
        return Arbitraries.strings().withCharRange(' ', '\uD7FF').withChars('\t', '\n', '\r', '&', '<', '>', '\'', '"')
                .ofMaxLength(300);
    }

    @Property(tries = 300)
    void anElementGivesBackExactlyTheJournalItHolds(@ForAll("journals") String journal) {
        assertEquals(journal, DomainJournals.content(DomainJournals.element(journal)));
    }

    @Property(tries = 100)
    void anElementSurvivesBeingCarriedInADefinition(@ForAll("journals") String journal) {
        String defined = DomainJournals.replaced(domain("<metadata/>"), Optional.of(DomainJournals.element(journal)));
        Element m = Xml.child(Xml.parse(defined).getDocumentElement(), "metadata").orElseThrow();
        Element e = Xml.elements(m).get(0);
        assertEquals(DomainJournals.NS, e.getNamespaceURI());
        assertEquals(journal, DomainJournals.content(Xml.write(e)));
    }

    @Test
    void anElementWhoseTextChangedIsRefusedNotGuessedAt() {
        String element = DomainJournals.element("<journal n='1'/>").replace("n=&apos;1", "n=&apos;2");
        assertThrows(StorageException.class, () -> DomainJournals.content(element));
    }

    @Test
    void aDefinitionReadBeforeTheLastJournalWriteCarriesTheNewestJournalAndKeepsTheOtherMetadata() {
        String stale = "<esmj:journal xmlns:esmj='" + DomainJournals.NS + "' length='3' crc32c='0'>old</esmj:journal>";
        String record = "<esm:record xmlns:esm='" + DomainXml.NS + "' version='1'/>";
        String user = "<app:tag xmlns:app='https://example.org/app'>mine</app:tag>";
        String xml = domain("<metadata>" + record + stale + user + "</metadata>");

        String defined = DomainJournals.replaced(xml, Optional.of(DomainJournals.element("new")));

        List<Element> kept = Xml.elements(Xml.child(Xml.parse(defined).getDocumentElement(), "metadata").orElseThrow());
        assertEquals(3, kept.size());
        assertEquals(DomainXml.NS, kept.get(0).getNamespaceURI());
        assertEquals("https://example.org/app", kept.get(1).getNamespaceURI());
        assertEquals(DomainJournals.NS, kept.get(2).getNamespaceURI());
        assertEquals("new", DomainJournals.content(Xml.write(kept.get(2))));
    }

    @Test
    void aDefinitionReadWhileAJournalExistedLosesItOnceTheJournalIsRemoved() {
        String xml = domain("<metadata>" + DomainJournals.element("old").replace("<journal ",
                "<esmj:journal xmlns:esmj='" + DomainJournals.NS + "' ").replace("</journal>", "</esmj:journal>")
                + "</metadata>");
        String defined = DomainJournals.replaced(xml, Optional.empty());
        assertFalse(defined.contains(DomainJournals.NS), defined);
        assertTrue(defined.contains("<metadata"), defined);
    }

    @Test
    void aDefinitionWithoutMetadataGetsOneRightAfterItsUuid() {
        String defined = DomainJournals.replaced(domain(""), Optional.of(DomainJournals.element("j")));
        Element root = Xml.parse(defined).getDocumentElement();
        assertEquals(List.of("name", "uuid", "metadata", "memory"),
                Xml.elements(root).stream().map(Element::getTagName).toList());
    }

    @Test
    void aDefinitionWithNoJournalToCarryIsLeftAsItIs() {
        String xml = domain("<metadata><app:tag xmlns:app='https://example.org/app'/></metadata>");
        assertEquals(xml, DomainJournals.replaced(xml, Optional.empty()));
    }

    private static String domain(String metadata) {
        return "<domain type='qemu'><name>web</name><uuid>" + UUID + "</uuid>" + metadata
                + "<memory unit='MiB'>32</memory></domain>";
    }
}
