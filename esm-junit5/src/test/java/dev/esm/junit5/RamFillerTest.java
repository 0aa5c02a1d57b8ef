package dev.esm.junit5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The filler's boot sector and pattern, without libvirt (the guest itself runs in RamContentIT and the benchmark). */
class RamFillerTest {
    @Test
    void theBootSectorIsOneSectorWithTheBiosSignatureAndTheCodeTheChecksLookFor() {
        byte[] s = RamFiller.bootSector();
        assertEquals(512, s.length);
        assertEquals(0x55, s[510] & 0xff);
        assertEquals(0xAA, s[511] & 0xff);
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            first.append(i == 0 ? "" : " ").append(String.format("0x%02x", s[i] & 0xff));
        }
        assertEquals(RamFiller.LOADED, first.toString());
        // The GDT descriptor the code loads (lgdt [0x7cc0]) points at the GDT at 0x7cb0: a null entry, then a flat
        // 4 GiB data segment.
        assertEquals(15, s[0xc0] & 0xff);
        assertEquals(0x7cb0, (s[0xc2] & 0xff) | (s[0xc3] & 0xff) << 8);
        assertEquals(0x92, s[0xb8 + 5] & 0xff);
        assertEquals(0xcf, s[0xb8 + 6] & 0xff);
    }

    @Test
    void thePatternDiffersPerWordAndPerSeedAndIsNeverAZeroPage() {
        assertEquals(0x00100000, RamFiller.word(0x100000, 0));
        assertEquals(0x41514141, RamFiller.word(0x100000, 0x41));
        assertNotEquals(RamFiller.word(0x100000, 0x41), RamFiller.word(0x100004, 0x41));
        assertNotEquals(RamFiller.word(0x100000, 0x41), RamFiller.word(0x100000, 0x42));
        // Within a 4 KiB page the words differ in their low bits, so no page is all zero.
        for (int seed : new int[] {0, 0x41, 0xff}) {
            for (long page = RamFiller.FROM; page < 1L << 30; page += 1L << 20) {
                assertNotEquals(RamFiller.word(page, seed), RamFiller.word(page + 4, seed));
            }
        }
    }

    @Test
    void theTopIsTheMemorySizeAsTheCmosCountsIt() {
        assertEquals(64L << 20, RamFiller.top(64L << 20));
        assertEquals(1L << 30, RamFiller.top(1L << 30));
        assertEquals(3000L << 20, RamFiller.top(3000L << 20));
    }

    @Test
    void aFillerDomainNeedsRamAbove16MiBAndBelowTheMachinesHoleAt3584MiB() {
        assertThrows(IllegalArgumentException.class, () -> ThrowawayDomain.withRamFiller("test:///default", "x", 16));
        assertThrows(IllegalArgumentException.class, () -> ThrowawayDomain.withRamFiller("test:///default", "x", 3584));
    }
}
