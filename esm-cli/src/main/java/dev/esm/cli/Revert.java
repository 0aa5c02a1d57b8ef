package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import picocli.CommandLine;
import picocli.CommandLine.Parameters;

/** {@code esm revert}: Go back to a snapshot (or the base); changes since are discarded. */
@CommandLine.Command(name = "revert", mixinStandardHelpOptions = true,
        header = "Go back to a snapshot (or the base); changes since are discarded.",
        description = "Puts the domain's disks on fresh empty overlays on top of snapshot <name> (or the base). "
                + "The snapshot itself is not touched, so reverting to it again gives the same content.")
final class Revert extends Reverting {
    @Parameters(index = "1", paramLabel = "<name|base>", description = "the snapshot to go back to, or 'base'")
    String name;

    @Override
    public Integer call() {
        DomainSnapshots d = domain(args.domain);
        return run(d, d.revert(name), "reverted '" + args.domain + "' to");
    }
}
