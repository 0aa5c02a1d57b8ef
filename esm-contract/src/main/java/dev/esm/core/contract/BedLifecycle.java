package dev.esm.core.contract;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A fresh {@link Bed} for every test of a contract suite: opened before the test ({@link #openBed()}), closed after
 * it; the contents each snapshot's disks must read, for {@link Invariants#check}; and the checks the suites share.
 * The suites on a bed of their own ({@link SnapshotContract}, {@link MemoryContract}, {@link DepthContract}) extend
 * it.
 *
 * <p>Thread-safety: none needed: JUnit makes one instance per test and runs its methods on one thread.
 */
public abstract class BedLifecycle {
    /** The bed of the running test. */
    protected Bed bed;
    /** What each snapshot's disks must read (snapshot, then target, then pattern), for invariant 1. */
    protected final Map<String, Map<String, Integer>> expected = new HashMap<>();

    /** @return a fresh bed for one test */
    protected abstract Bed openBed();

    @BeforeEach
    void openTheBed() {
        bed = openBed();
    }

    @AfterEach
    void closeTheBed() {
        bed.close();
    }

    /** Checks the invariants on the domain, with {@link #expected}. */
    protected void check(String domain) {
        Invariants.check(bed, domain, expected);
    }

    /** Asserts that the domain's disk reads the pattern. */
    protected void assertReads(String domain, String target, int pattern) {
        assertTrue(bed.reads(domain, target, pattern), domain + " " + target + " should read pattern " + pattern);
    }
}
