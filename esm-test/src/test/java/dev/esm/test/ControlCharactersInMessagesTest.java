package dev.esm.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.errors.EsmException;
import dev.esm.api.errors.InvalidNameException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.SnapshotNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every exception ESM throws says what happened on one line: a name or path with a control character in it is shown
 * escaped ({@code x\u005Cu000ay}), whichever check refuses it, as create's check of a new snapshot name always did.
 */
class ControlCharactersInMessagesTest {
    static final String BAD = "x\ny";
    static final String SHOWN = "x\\u000ay";

    static <T extends EsmException> T refused(Class<T> type, Executable call) {
        T e = assertThrows(type, call);
        String m = e.getMessage();
        assertFalse(m.chars().anyMatch(Character::isISOControl), m);
        assertTrue(m.contains(SHOWN), m);
        return e;
    }

    @Test
    void everyCommandShowsTheNameEscaped() {
        try (InMemoryEsm esm = EsmTest.inMemory()) {
            DomainSnapshots d = esm.defineDomain("web").disk("vda").define();
            d.setup("/esm/web").execute();
            d.snapshot("s1").create();
            d.snapshot("s2").create();

            refused(InvalidNameException.class, () -> d.snapshot(BAD).create());
            assertEquals("domain 'web' has no snapshot '" + SHOWN + "'",
                    refused(SnapshotNotFoundException.class, () -> d.revert(BAD).execute()).getMessage());
            assertEquals("domain 'web' has no snapshot '" + SHOWN + "'",
                    refused(SnapshotNotFoundException.class, () -> d.delete(BAD).execute()).getMessage());
            refused(SnapshotNotFoundException.class, () -> d.delete(BAD).plan());
            refused(SnapshotNotFoundException.class, () -> d.commit(BAD, "s2").execute());
            refused(SnapshotNotFoundException.class, () -> d.commit("s1", BAD).execute());
            refused(SnapshotNotFoundException.class, () -> d.info(BAD));
            refused(SnapshotNotFoundException.class, () -> d.chain().get(BAD));

            DomainSnapshots fresh = esm.defineDomain("db").disk("vda").define();
            refused(InvalidOperationException.class, () -> fresh.setup("/esm/" + BAD).execute());
        }
    }

    @Test
    void anUnknownDomainsNameIsShownEscaped() {
        try (InMemoryEsm esm = EsmTest.inMemory()) {
            refused(EsmException.class, () -> esm.domain("web" + BAD).chain());
        }
    }
}
