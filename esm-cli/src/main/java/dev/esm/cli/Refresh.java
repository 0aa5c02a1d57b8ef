package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import picocli.CommandLine;

/** {@code esm refresh}: Discard every change since the last create, revert or refresh. */
@CommandLine.Command(name = "refresh", mixinStandardHelpOptions = true,
        header = "Discard every change since the last create, revert or refresh.",
        description = "Reverts to the current snapshot (or the base).")
final class Refresh extends Reverting {

    @Override
    public Integer call() {
        DomainSnapshots d = domain(args.domain);
        return run(d, d.refresh(), "refreshed '" + args.domain + "' to");
    }
}
