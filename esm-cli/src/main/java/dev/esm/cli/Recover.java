package dev.esm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code esm recover}: Finish or undo an operation a stopped process left. */
@CommandLine.Command(name = "recover", mixinStandardHelpOptions = true,
        header = "Finish or undo an operation a stopped process left.",
        description = "ESM journals every changing operation; one a killed process left is undone when only "
                + "files had been made, else completed. Opening a domain does this too; this command says so.")
final class Recover extends Sub {
    @CommandLine.Mixin
    DomainArgs args;
    @Option(names = "--json", description = "print {\"domain\", \"recovered\"} as JSON")
    boolean json;

    @Override
    public Integer call() {
        // Opening the args.domain recovers what it finds; recover() then finds nothing: report either.
        java.util.Optional<dev.esm.api.Recovery> done = withDomain(args.domain, d -> {
            d.recover();
            return d.lastRecovery();
        });
        if (json) {
            out().println("{\"operation\":\"recover\",\"domain\":" + Json.str(args.domain) + ",\"recovered\":"
                    + done.isPresent() + done.map(r -> ",\"unfinished\":" + Json.str(r.operation().name()
                    .toLowerCase(java.util.Locale.ROOT)) + ",\"target\":" + Json.str(r.target()) + ",\"started\":"
                    + Json.str(r.started().toString()) + ",\"outcome\":" + Json.str(r.completed() ? "completed"
                    : "undone")).orElse("") + "}");
            return 0;
        }
        say(done.map(r -> "'" + args.domain + "': " + r.describe()).orElse("'" + args.domain + "' has no unfinished"
                + " operation"));
        return 0;
    }
}
