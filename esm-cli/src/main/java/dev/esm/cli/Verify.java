package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import java.util.List;
import picocli.CommandLine;

/** {@code esm verify}: Check snapshots, metadata and image chains (exit 7 on problems). */
@CommandLine.Command(name = "verify", mixinStandardHelpOptions = true,
        header = "Check snapshots, metadata and image chains (exit 7 on problems).",
        description = "Checks the domain, its snapshots, libvirt's metadata and every image chain against each "
                + "other, changing nothing. --json prints the problems as an array of strings.")
final class Verify extends Reading {
    @Override
    public Integer call() {
        List<dev.esm.api.Finding> problems = withDomain(args.domain, DomainSnapshots::check);
        if (json) {
            out().println(Json.findings(problems));
        } else if (problems.isEmpty()) {
            say("'" + args.domain + "' is consistent");
        } else {
            problems.forEach(p -> out().println("problem: " + p.message()));
        }
        return problems.isEmpty() ? 0 : 7;
    }
}
