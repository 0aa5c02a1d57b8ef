package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.SnapshotManager;
import dev.esm.api.spi.SnapshotManagerProvider;
import dev.esm.test.EsmTest;
import dev.esm.test.InMemoryEsm;

/**
 * Serves {@value #URI} with ESM in memory, so that the tool's unit tests run it without libvirt. One host for the
 * whole test run (each test defines domains of its own names); the tool closes its manager after each command line,
 * which leaves the host as it is.
 */
public final class InMemoryProvider implements SnapshotManagerProvider {
    static final String URI = "fake:///cli";
    static final InMemoryEsm ESM = EsmTest.inMemory();

    @Override
    public boolean supports(String uri) {
        return uri.startsWith("fake:");
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public SnapshotManager open(String uri) {
        return new SnapshotManager() {
            @Override
            public String uri() {
                return uri;
            }

            @Override
            public DomainSnapshots domain(String name) {
                return ESM.domain(name);
            }

            @Override
            public void close() {
                // the host outlives one command line
            }
        };
    }
}
