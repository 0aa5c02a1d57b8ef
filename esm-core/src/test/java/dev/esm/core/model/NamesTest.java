package dev.esm.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NamesTest {
    private static final Instant T = Instant.parse("2026-11-25T20:59:01Z");

    @Test
    void stemCutsOnlyAKnownImageExtensionNeverAnArbitraryDot() {
        assertEquals("my.disk.v2", Names.stem("my.disk.v2.qcow2"));
        assertEquals("disk", Names.stem("disk.base"));
        assertEquals("archive.tar", Names.stem("archive.tar"));
        assertEquals("win10", Names.stem("win10.IMG"));
        assertEquals("disk", Names.stem("disk.after-s1.20261125-205901.qcow2"));
    }

    @Test
    void twoDisksWithOneStemGetDistinctStems() {
        Map<String, String> stems = Names.stems(List.of(new DiskImage("vda", "/a/disk.qcow2", ImageFormat.QCOW2),
                new DiskImage("vdb", "/b/disk.img", ImageFormat.RAW)));
        assertEquals(Map.of("vda", "disk", "vdb", "disk-vdb"), stems);
    }

    @Test
    void overlayNamesSayDiskLabelAndTimeAndAvoidTakenNames() {
        assertEquals("/d/sys.after-s1.20261125-205901.qcow2", Names.overlayPath("/d", "sys", "s1", T, p -> false));
        Set<String> taken = Set.of("/d/sys.after-s1.20261125-205901.qcow2");
        assertEquals("/d/sys.after-s1.20261125-205901-2.qcow2", Names.overlayPath("/d/", "sys", "s1", T, taken::contains));
    }

    @Test
    void pathsAreSplitAtTheLastSlashOnly() {
        assertEquals("/var/lib/my images", Names.directory("/var/lib/my images/disk one.qcow2"));
        assertEquals("disk one.qcow2", Names.fileName("/var/lib/my images/disk one.qcow2"));
        assertEquals("/", Names.directory("/disk.qcow2"));
        assertEquals("/x/y", Names.join("/x/", "y"));
    }

    @Test
    void fileNamesOver255BytesDoNotFit() {
        assertTrue(Names.fits("a".repeat(255)));
        assertFalse(Names.fits("a".repeat(256)));
        assertFalse(Names.fits("é".repeat(128)));
    }
}
