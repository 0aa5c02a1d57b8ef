package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.errors.SnapshotNotFoundException;
import picocli.CommandLine;

/** {@code esm current}: Print the current snapshot's name. */
@CommandLine.Command(name = "current", mixinStandardHelpOptions = true,
        header = "Print the current snapshot's name.",
        description = "Prints 'base' when the domain runs on the base; exit 3 before anything froze the base.")
final class Current extends Reading {
    @Override
    public Integer call() {
        SnapshotChain chain = withDomain(args.domain, DomainSnapshots::chain);
        Snapshot c = chain.current().orElseThrow(() -> new SnapshotNotFoundException("domain '" + args.domain
                + "' has no current snapshot and no frozen base yet"));
        out().println(json ? Json.snapshot(c, chain) : c.name());
        return 0;
    }
}
