package dev.esm.core.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.errors.JournalVersionException;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import dev.esm.core.plan.Journal;
import dev.esm.core.plan.Step;
import dev.esm.core.plan.JournalXml;
import dev.esm.core.xml.XmlException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How {@link JournalXml} reads journals of its own version, of other versions, and not quite of its own shape. */
class JournalFormatTest {
    static final String STORED = StoredJournalTest.resource(StoredJournalTest.FIXTURE + ".journal.xml");

    @Test
    void theWriterStillWritesWhatTheStoredJournalHolds() {
        assertEquals(STORED, JournalXml.write(JournalXml.read(STORED)),
                "the writer changed: bump JournalXml.VERSION and store a journal of the new version, or keep format "
                        + JournalXml.VERSION + " readable as stored");
    }

    @Test
    void anotherVersionIsRefusedWithWhatToDo() {
        JournalVersionException e = assertThrows(JournalVersionException.class,
                () -> JournalXml.read(STORED.replace("version=\"1\"", "version=\"2\""), "/fake-state/x.journal"));
        assertEquals("2", e.found());
        assertEquals(1, e.supported());
        assertTrue(e.getMessage().contains("/fake-state/x.journal is in journal format version 2"), e.getMessage());
        assertTrue(e.getMessage().contains("reads and writes version 1 only"), e.getMessage());
        assertTrue(e.getMessage().contains("esm recover 'fake-1'"), e.getMessage());
    }

    @Test
    void aJournalWithoutVersionIsRefused() {
        JournalVersionException e = assertThrows(JournalVersionException.class,
                () -> JournalXml.read(STORED.replace(" version=\"1\"", "")));
        assertNull(e.found());
        assertTrue(e.getMessage().contains("names no format version"), e.getMessage());
    }

    @Test
    void somethingElseIsNotAJournal() {
        assertThrows(XmlException.class, () -> JournalXml.read("<domain version='1'/>"));
    }

    @Test
    void componentsAreReadByNameInAnyOrder() {
        // Every step's first component moved to its end.
        String reordered = STORED.replaceAll("(<step kind=\"\\w+\">)(<v [^>]*?(?:/>|>.*?</v>))(.*?)(</step>)",
                "$1$3$2$4");
        assertTrue(!reordered.equals(STORED));
        assertEquals(StoredJournalTest.render(JournalXml.read(STORED)),
                StoredJournalTest.render(JournalXml.read(reordered)));
    }

    @Test
    void unknownComponentsAreIgnoredAndMissingOptionalOnesAreEmpty() {
        String changed = STORED.replace("<v name=\"record\"/>", "<v name=\"from-a-later-release\" string=\"x\"/>")
                .replace("<v boolean=\"false\" name=\"live\"/>", "");
        Journal j = JournalXml.read(changed);
        Step.DefineDomain define = (Step.DefineDomain) j.steps().get(1);
        assertEquals(Optional.empty(), define.record());
        Step.Merge merge = (Step.Merge) j.steps().get(0);
        assertEquals(false, merge.live());
        assertEquals(JournalXml.read(STORED).steps(), j.steps());
    }

    @Test
    void anUnknownStepSaysWhatToDo() {
        XmlException e = assertThrows(XmlException.class,
                () -> JournalXml.read(STORED.replace("<step kind=\"RemoveFile\">", "<step kind=\"Teleport\">")));
        assertTrue(e.getMessage().contains("unknown journal step 'Teleport'"), e.getMessage());
        assertTrue(e.getMessage().contains("recover the domain with that release"), e.getMessage());
    }

    @Test
    void aMissingRequiredComponentIsNamed() {
        XmlException e = assertThrows(XmlException.class,
                () -> JournalXml.read(STORED.replace("<v name=\"disk\" string=\"vda\"/>", "")));
        assertTrue(e.getMessage().contains("Merge lacks its component 'disk'"), e.getMessage());
    }

    @Test
    void openingADomainWithAJournalOfAnotherVersionChangesNothing() {
        FakeBed bed = new FakeBed();
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2")));
        bed.manager().domain(dom).snapshot("s1").create();
        String journal = STORED.replace("version=\"1\"", "version=\"7\"").replace("fake-1", dom);
        bed.storage().writeAtomically(StoredJournalTest.JOURNAL, journal);
        var files = bed.storage().files();
        bed.restart();
        JournalVersionException e = assertThrows(JournalVersionException.class, () -> bed.manager().domain(dom));
        assertTrue(e.getMessage().contains("the recovery journal of domain '" + dom + "' is in journal format version 7"),
                e.getMessage());
        assertEquals(Optional.of(journal), bed.storage().read(StoredJournalTest.JOURNAL), "the journal is kept");
        assertEquals(files, bed.storage().files());
    }
}
