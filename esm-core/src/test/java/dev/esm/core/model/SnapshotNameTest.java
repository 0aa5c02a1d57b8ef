package dev.esm.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.SnapshotName;
import dev.esm.api.errors.InvalidNameException;
import org.junit.jupiter.api.Test;

class SnapshotNameTest {
    @Test
    void ordinaryNamesAreValid() {
        for (String ok : new String[] {"s1", "pre-upgrade", "v2.0.1", "_tmp", "build+42", "état", "2026-11-25"}) {
            assertNull(SnapshotName.problem(ok), ok);
            assertEquals(ok, SnapshotName.of(ok).value());
        }
    }

    @Test
    void eachBrokenRuleIsNamedInTheMessage() {
        assertTrue(SnapshotName.problem("").contains("empty"));
        assertTrue(SnapshotName.problem("base").contains("reserved"));
        assertTrue(SnapshotName.problem("a/b").contains("'/'"));
        assertTrue(SnapshotName.problem(".x").contains("start"));
        assertTrue(SnapshotName.problem("-rf").contains("start"));
        assertTrue(SnapshotName.problem("a..b").contains(".."));
        assertTrue(SnapshotName.problem("a b").contains("\\u0020"));
        assertTrue(SnapshotName.problem("a\nb").contains("\\u000a"));
        assertTrue(SnapshotName.problem("disk.b*").contains("'*'"));
        assertTrue(SnapshotName.problem("x".repeat(65)).contains("longer"));
    }

    @Test
    void constructingAnInvalidNameThrowsTheTypedError() {
        assertThrows(InvalidNameException.class, () -> SnapshotName.of("$(rm -rf /)"));
    }
}
