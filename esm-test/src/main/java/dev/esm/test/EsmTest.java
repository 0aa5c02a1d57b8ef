package dev.esm.test;

import java.time.Clock;

/**
 * The test kit's entry point. A unit test of code that takes a {@link dev.esm.api.SnapshotManager}:
 *
 * <pre>{@code
 * try (InMemoryEsm esm = EsmTest.inMemory()) {
 *     esm.defineDomain("web").disk("vda").disk("vdb").define();
 *     new MyLabManager(esm).resetToClean("web");          // the code under test, given a SnapshotManager
 *     assertEquals("clean", esm.domain("web").chain().current().orElseThrow().name());
 *     assertEquals(0, esm.read("web", "vda"));               // what the guest reads from its disk
 * }
 * }</pre>
 */
public final class EsmTest {
    private EsmTest() {
    }

    /** @return ESM on a new, empty in-memory host (no domains), creation times from the system clock */
    public static InMemoryEsm inMemory() {
        return inMemory(Clock.systemUTC());
    }

    /**
     * @param clock where snapshot creation times come from (a fixed clock makes them predictable)
     * @return ESM on a new, empty in-memory host
     */
    public static InMemoryEsm inMemory(Clock clock) {
        return new InMemoryEsm(clock);
    }
}
