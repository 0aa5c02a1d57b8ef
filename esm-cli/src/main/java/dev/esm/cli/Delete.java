package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import picocli.CommandLine;
import picocli.CommandLine.Parameters;

/** {@code esm delete}: Delete a snapshot; what others need is merged. */
@CommandLine.Command(name = "delete", mixinStandardHelpOptions = true,
        header = "Delete a snapshot; what others need is merged.",
        description = {"Removes snapshot <name>; every other snapshot and the current state keep exactly their "
                + "contents. Data others still need is merged (live block commit when the domain runs on those "
                + "images, else qemu-img commit). Deleting the current snapshot makes its parent current.",
                "Ctrl-C during a merge cancels it (exit 130) and leaves every surviving snapshot readable."})
final class Delete extends Changing {
    @Parameters(index = "1", paramLabel = "<name>", description = "the snapshot to delete (not 'base')")
    String name;

    @Override
    public Integer call() {
        DomainSnapshots d = domain(args.domain);
        return runOrPlan(d, d.delete(name), r -> "deleted snapshot '" + name + "' of '" + args.domain + "'",
                Changing::chainFields);
    }
}
