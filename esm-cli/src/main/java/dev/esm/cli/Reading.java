package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** A read command with --json. */
abstract class Reading extends Sub {
    @CommandLine.Mixin
    DomainArgs args;
    @Option(names = "--json", description = "print JSON")
    boolean json;

    /** Reads without waiting for a running operation; says so on standard error when one may be under way. */
    @Override
    <T> T withDomain(String domain, Function<DomainSnapshots, T> action) {
        return read(root.session, domain(domain), action);
    }

    /** Reads {@code d} without waiting for a running operation; says so on standard error when one may be under way. */
    static <T> T read(Session session, DomainSnapshots d, Function<DomainSnapshots, T> action) {
        T result = action.apply(d);
        d.operationInProgress().ifPresent(busy -> session.err.println("esm: note: " + busy
                + "; what is shown may be part-way through it"));
        return result;
    }
}
