package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The snapshot cache against a fake daemon whose metadata files behave as libvirt's do (every write a new file
 * renamed over the old, so a new inode, the file's and the directory's times moved): unchanged trees cost no XML,
 * every kind of change made behind ESM's back is seen at the next read, and anything the markers cannot vouch for is
 * fetched.
 */
class SnapshotCacheTest {
    private static final String DOM = "vm";

    /** libvirt's snapshots of one domain and their metadata files, with a clock the test moves. */
    static final class FakeDaemon implements SnapshotCache.Markers, SnapshotCache.Source {
        final Map<String, String> xmls = new LinkedHashMap<>();
        final Map<String, SnapshotCache.Stamp> files = new HashMap<>();
        SnapshotCache.Stamp dir;
        long now = 1_000_000;
        int inodes;
        int fetches;
        int listings;
        boolean filesVisible = true;

        void write(String name, String xml) {
            xmls.put(name, xml);
            files.put(name, new SnapshotCache.Stamp(++inodes, now * 1_000_000, xml.length()));
            touchDirectory();
        }

        void remove(String name) {
            xmls.remove(name);
            files.remove(name);
            touchDirectory();
        }

        void touchDirectory() {
            dir = new SnapshotCache.Stamp(0, now * 1_000_000, 4096);
        }

        @Override
        public Optional<SnapshotCache.Stamp> directory(String domain) {
            return filesVisible ? Optional.ofNullable(dir) : Optional.empty();
        }

        @Override
        public Optional<SnapshotCache.Stamp> file(String domain, String snapshot) {
            return filesVisible ? Optional.ofNullable(files.get(snapshot)) : Optional.empty();
        }

        @Override
        public List<String> names() {
            listings++;
            return new ArrayList<>(xmls.keySet());
        }

        @Override
        public int count() {
            return xmls.size();
        }

        @Override
        public String xml(String name) {
            fetches++;
            String x = xmls.get(name);
            if (x == null) {
                throw new IllegalStateException("no snapshot " + name);
            }
            return x;
        }
    }

    private final FakeDaemon libvirt = new FakeDaemon();
    private final SnapshotCache cache = new SnapshotCache(libvirt, () -> libvirt.now);

    private void tree(int n) {
        for (int i = 0; i < n; i++) {
            libvirt.write("s" + i, "<s" + i + "/>");
        }
    }

    private void later() {
        libvirt.now += SnapshotCache.RACY_MILLIS + 1;
    }

    private List<String> read() throws Exception {
        return cache.all(DOM, libvirt);
    }

    @Test
    void anUnchangedSettledTreeIsReadWithoutFetchingOrListing() throws Exception {
        tree(100);
        later();
        assertEquals(100, read().size());
        assertEquals(100, libvirt.fetches);
        libvirt.now += 5;
        List<String> again = read();
        assertEquals(new ArrayList<>(libvirt.xmls.values()), again);
        assertEquals(100, libvirt.fetches, "nothing fetched again");
        assertEquals(1, libvirt.listings, "not even listed: the directory's stamp and the count vouch for it");
    }

    @Test
    void aRedefinitionWithTheSameNameIsSeenAndOnlyItIsFetched() throws Exception {
        tree(10);
        later();
        read();
        later();
        libvirt.write("s3", "<s3 description='changed'/>");
        libvirt.now += 1; // even at once: the directory moved
        List<String> after = read();
        assertTrue(after.contains("<s3 description='changed'/>"), after.toString());
        assertFalse(after.contains("<s3/>"));
        assertEquals(11, libvirt.fetches, "only the rewritten snapshot fetched");
    }

    @Test
    void anAddedAndARemovedSnapshotAreSeen() throws Exception {
        tree(5);
        later();
        read();
        libvirt.write("new", "<new/>");
        libvirt.remove("s0");
        List<String> after = read();
        assertTrue(after.contains("<new/>"));
        assertFalse(after.contains("<s0/>"));
        assertEquals(4 + 1, after.size());
    }

    @Test
    void aChangeWithinTheClockTickOfTheLastReadIsStillSeen() throws Exception {
        tree(3);
        read(); // the directory's time is this very instant: the read is not settled
        // A redefinition in the same tick: same directory time, a new inode for the file only.
        String before = libvirt.dir.toString();
        libvirt.xmls.put("s1", "<s1 v='2'/>");
        libvirt.files.put("s1", new SnapshotCache.Stamp(++libvirt.inodes, libvirt.now * 1_000_000, 4));
        assertEquals(before, libvirt.dir.toString(), "the directory did not move");
        assertTrue(read().contains("<s1 v='2'/>"));
    }

    @Test
    void aFileRewrittenInTheSameTickWithTheSameSizeAndARecycledInodeIsFetchedWhileRecent() throws Exception {
        tree(2);
        SnapshotCache.Stamp s0 = libvirt.files.get("s0");
        read();
        // The worst case: a stamp identical in every field, still within the racy window.
        libvirt.xmls.put("s0", "<s9/>");
        libvirt.files.put("s0", s0);
        assertTrue(read().contains("<s9/>"), "a recent stamp is never trusted");
    }

    @Test
    void aCountThatDisagreesWithAnUnmovedDirectoryMakesItListAgain() throws Exception {
        tree(4);
        later();
        read();
        libvirt.xmls.put("ghost", "<ghost/>"); // a snapshot whose file this cache does not see move
        libvirt.files.put("ghost", new SnapshotCache.Stamp(++libvirt.inodes, 0, 1));
        assertTrue(read().contains("<ghost/>"));
    }

    @Test
    void withoutMarkersEveryReadFetchesEverything() throws Exception {
        SnapshotCache remote = new SnapshotCache(null, () -> libvirt.now);
        tree(7);
        later();
        remote.all(DOM, libvirt);
        remote.all(DOM, libvirt);
        assertEquals(14, libvirt.fetches);
        assertFalse(remote.active());
    }

    @Test
    void aListedSnapshotWithoutItsFileIsNotCached() throws Exception {
        tree(3);
        libvirt.files.remove("s1");
        later();
        read();
        read();
        assertEquals(6, libvirt.fetches, "read in full twice");
    }

    @Test
    void unreadableMarkersGiveAFullRead() throws Exception {
        tree(3);
        later();
        read();
        libvirt.filesVisible = false;
        libvirt.xmls.put("s2", "<s2 v='2'/>");
        assertTrue(read().contains("<s2 v='2'/>"));
        assertEquals(6, libvirt.fetches);
    }

    @Test
    void oneSnapshotComesFromTheCacheOnlyWhileItsFileIsUnchanged() throws Exception {
        tree(3);
        later();
        read();
        int fetched = libvirt.fetches;
        assertEquals("<s1/>", cache.one(DOM, "s1", () -> libvirt.xml("s1")));
        assertEquals(fetched, libvirt.fetches, "served from the cache");
        libvirt.write("s1", "<s1 v='3'/>");
        assertEquals("<s1 v='3'/>", cache.one(DOM, "s1", () -> libvirt.xml("s1")));
        libvirt.remove("s2");
        assertEquals("gone", cache.one(DOM, "s2", () -> libvirt.xmls.getOrDefault("s2", "gone")));
    }

    @Test
    void aWriteThatDoesNotMoveTheDirectoryTurnsTheMarkersOff() throws Exception {
        tree(3);
        later();
        read();
        Optional<SnapshotCache.Stamp> before = cache.before(DOM);
        libvirt.xmls.put("s0", "<s0 v='2'/>"); // the daemon wrote elsewhere: this directory is not its
        cache.changed(DOM, before, true);
        assertFalse(cache.active());
        assertTrue(read().contains("<s0 v='2'/>"));
    }

    @Test
    void aWriteThatMovesTheDirectoryKeepsTheMarkersAndIsSeen() throws Exception {
        tree(3);
        later();
        read();
        Optional<SnapshotCache.Stamp> before = cache.before(DOM);
        libvirt.write("s0", "<s0 v='2'/>");
        cache.changed(DOM, before, true);
        assertTrue(cache.active());
        assertTrue(read().contains("<s0 v='2'/>"));
    }

    @Test
    void aFailedWriteProvesNothing() throws Exception {
        tree(3);
        later();
        read();
        cache.changed(DOM, cache.before(DOM), false);
        assertTrue(cache.active());
    }

    @Test
    void theDirectoryIsKnownOnlyForThisMachinesStandardDaemons() {
        assertEquals(Optional.of(Path.of("/var/lib/libvirt/qemu/snapshot")),
                MetadataFiles.directoryOf("qemu:///system", null, "/root"));
        assertEquals(Optional.of(Path.of("/var/lib/libvirt/qemu/snapshot")),
                MetadataFiles.directoryOf("qemu+unix:///system", null, "/root"));
        assertEquals(Optional.of(Path.of("/home/u/.config/libvirt/qemu/snapshot")),
                MetadataFiles.directoryOf("qemu:///session", null, "/home/u"));
        assertEquals(Optional.of(Path.of("/x/libvirt/qemu/snapshot")),
                MetadataFiles.directoryOf("qemu:///session", "/x", "/home/u"));
        for (String other : List.of("qemu+ssh://h/system", "qemu+tcp://h/system", "qemu://h/system",
                "qemu+unix:///system?socket=/srv/root2/run/libvirt/libvirt-sock", "qemu:///embed?root=/tmp/e",
                "test:///default", "xen:///system", "not a uri")) {
            assertEquals(Optional.empty(), MetadataFiles.directoryOf(other, null, "/root"), other);
        }
    }

    @Test
    void theTreeIndexMarkerIsTheDirectorysStampOnceSettledAndMovesWithEveryChange() {
        libvirt.write("s1", "<domainsnapshot><name>s1</name></domainsnapshot>");
        assertEquals(Optional.empty(), cache.marker(DOM), "a directory changed within the racy window: not trusted");
        libvirt.now += SnapshotCache.RACY_MILLIS + 1;
        Optional<String> settled = cache.marker(DOM);
        assertTrue(settled.isPresent() && !settled.get().isEmpty(), settled.toString());
        assertEquals(settled, cache.marker(DOM), "unchanged");
        libvirt.write("s2", "<domainsnapshot><name>s2</name></domainsnapshot>");
        libvirt.now += SnapshotCache.RACY_MILLIS + 1;
        assertFalse(cache.marker(DOM).equals(settled), "a change moves it");
        libvirt.filesVisible = false;
        assertEquals(Optional.of("absent"), cache.marker(DOM), "no directory: a marker of its own");
        assertEquals(Optional.of(""), new SnapshotCache(null, () -> 0L).marker(DOM), "no markers at all");
    }
}
