package dev.esm.libvirt.internal.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.errors.StorageException;
import dev.esm.libvirt.internal.pool.InMemoryPools;
import dev.esm.libvirt.internal.pool.StatePool;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Journals in two checksummed slots of one volume of the state pool: written in turn, the newest valid one read, a
 * torn write leaving the previous version, and the slot a client remembers forgotten when it takes the lease.
 */
class HostStateTest {
    private static final String DIR = "/var/lib/libvirt/esm";
    private static final String JOURNAL = DIR + "/0f8fad5b-d9cb-469f-a165-70867728950e.journal";
    private static final String LEASE = DIR + "/0f8fad5b-d9cb-469f-a165-70867728950e.lock.lease";
    private final InMemoryPools host = new InMemoryPools();
    private final StatePool pool = host.statePool(DIR);
    private final HostState state = new HostState(host.conn, pool);

    private List<String> uploadsOfTheJournal() {
        return host.uploads.stream().filter(u -> u.startsWith("0f8fad5b")).map(u -> u.substring(u.indexOf('@') + 1))
                .toList();
    }

    @Test
    void aJournalWrittenIsReadBackAndANeverWrittenOneIsEmpty() {
        assertEquals(Optional.empty(), state.read(JOURNAL));
        state.write(JOURNAL, "<journal seq='1'/>");
        assertEquals(Optional.of("<journal seq='1'/>"), state.read(JOURNAL));
        assertEquals(Optional.of("<journal seq='1'/>"), new HostState(host.conn, pool).read(JOURNAL),
                "another client reads the same");
    }

    @Test
    void successiveWritesGoToTheTwoSlotsInTurn() {
        state.write(JOURNAL, "one");
        state.write(JOURNAL, "two");
        state.write(JOURNAL, "three");
        assertEquals(List.of("0", String.valueOf(HostState.REGION), "0"), uploadsOfTheJournal());
        assertEquals(Optional.of("three"), state.read(JOURNAL));
    }

    @Test
    void aTornWriteLeavesThePreviousVersionReadable() {
        state.write(JOURNAL, "one");
        state.write(JOURNAL, "two"); // slot 1
        host.volume(JOURNAL).orElseThrow().data[HostState.REGION + HostState.HEADER] ^= 1; // its content half-written
        assertEquals(Optional.of("one"), new HostState(host.conn, pool).read(JOURNAL));
    }

    @Test
    void theNextWriteAfterATornOneOverwritesTheTornSlotNotTheValidOne() {
        state.write(JOURNAL, "one");
        state.write(JOURNAL, "two");
        host.volume(JOURNAL).orElseThrow().data[HostState.REGION + HostState.HEADER] ^= 1;
        HostState other = new HostState(host.conn, pool);
        host.uploads.clear();
        other.write(JOURNAL, "three");
        assertEquals(List.of(String.valueOf(HostState.REGION)), uploadsOfTheJournal());
        assertEquals(Optional.of("three"), other.read(JOURNAL));
    }

    @Test
    void aJournalLargerThanASlotGoesToItsOverflowAreaBeforeItsHeader() {
        String big = "x".repeat(HostState.REGION);
        state.write(JOURNAL, big);
        assertEquals(List.of(String.valueOf(2L * HostState.REGION), "0"), uploadsOfTheJournal());
        assertEquals(Optional.of(big), new HostState(host.conn, pool).read(JOURNAL));
    }

    @Test
    void aJournalLargerThanTheVolumeHoldsIsRefusedAndNothingIsWritten() {
        StorageException e = assertThrows(StorageException.class,
                () -> state.write(JOURNAL, "x".repeat(HostState.MAX_BODY + 1)));
        assertTrue(e.getMessage().contains("more than a journal holds"), e.getMessage());
        assertTrue(host.uploads.isEmpty());
    }

    @Test
    void aClientThatTookTheLeaseForgetsItsSlotAndWritesPastAnotherClientsVersion() {
        HostState other = new HostState(host.conn, pool);
        state.write(JOURNAL, "mine 1"); // slot 0, remembered
        other.write(JOURNAL, "theirs 2"); // slot 1
        state.forget(LEASE);
        host.uploads.clear();
        state.write(JOURNAL, "mine 3");
        assertEquals(List.of("0"), uploadsOfTheJournal(), "over the older slot, not over the other client's");
        assertEquals(Optional.of("mine 3"), other.read(JOURNAL));
    }

    @Test
    void forgetOnlyForgetsTheJournalsOfThatDomain() {
        String otherJournal = DIR + "/11111111-d9cb-469f-a165-70867728950e.journal";
        state.write(JOURNAL, "a 1");
        state.write(otherJournal, "b 1");
        new HostState(host.conn, pool).write(otherJournal, "b 2"); // slot 1 behind this client's back
        state.forget(LEASE);
        state.write(otherJournal, "b 3"); // still remembers slot 0, so writes slot 1
        assertEquals(Optional.of("b 3"), new HostState(host.conn, pool).read(otherJournal));
        assertEquals(HostState.REGION + "", host.uploads.get(host.uploads.size() - 1).replaceAll(".*@", ""));
    }

    @Test
    void removeDeletesTheVolumeAndAMissingJournalIsNoFailure() {
        state.write(JOURNAL, "one");
        state.remove(JOURNAL);
        assertFalse(host.volume(JOURNAL).isPresent());
        assertEquals(Optional.empty(), state.read(JOURNAL));
        state.remove(JOURNAL);
    }

    @Test
    void aJournalVolumeRemovedByHandIsMadeAgainByTheNextWrite() {
        state.write(JOURNAL, "one");
        host.removeFile(JOURNAL);
        state.write(JOURNAL, "two");
        assertEquals(Optional.of("two"), new HostState(host.conn, pool).read(JOURNAL));
    }
}
