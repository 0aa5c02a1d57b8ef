package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import picocli.CommandLine;

/** {@code esm list}: List the snapshots, oldest first. */
@CommandLine.Command(name = "list", mixinStandardHelpOptions = true,
        header = "List the snapshots, oldest first.",
        description = "One snapshot a line with its parent, time, state and description; * marks the current "
                + "one.")
final class ListCmd extends Reading {
    @Override
    public Integer call() {
        SnapshotChain chain = withDomain(args.domain, DomainSnapshots::chain);
        if (json) {
            out().println(Json.array(chain.snapshots().stream().map(s -> Json.snapshot(s, chain)).toList()));
            return 0;
        }
        String current = chain.current().map(Snapshot::name).orElse("");
        out().printf("%-2s%-24s %-24s %-20s %-14s %s%n", "", "NAME", "PARENT", "CREATED", "STATE", "DESCRIPTION");
        for (Snapshot s : chain.snapshots()) {
            out().printf("%-2s%-24s %-24s %-20s %-14s %s%n", s.name().equals(current) ? "*" : "", s.name(),
                    s.parent().orElse("base"), s.creationTime().toString().replace('T', ' ').replace("Z", ""),
                    s.state().libvirtName(), s.description());
        }
        if ("base".equals(current)) {
            out().println("(current: base)");
        }
        return 0;
    }
}
