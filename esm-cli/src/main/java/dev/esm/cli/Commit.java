package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import picocli.CommandLine;
import picocli.CommandLine.Parameters;

/** {@code esm commit}: Merge away every snapshot after &lt;base&gt; up to &lt;top&gt;. */
@CommandLine.Command(name = "commit", mixinStandardHelpOptions = true,
        header = "Merge away every snapshot after <base> up to <top>.",
        description = {"Removes every snapshot after <base> up to and including <top>, in one merge job per "
                + "disk; <base> and the current state keep their contents. Refused where the merge would write "
                + "into an image another branch stands on.",
                "Ctrl-C during a merge cancels it (exit 130) and leaves every surviving snapshot readable."})
final class Commit extends Changing {
    @Parameters(index = "1", paramLabel = "<base>", description = "the snapshot (or 'base') that is kept and "
            + "receives the data")
    String base;
    @Parameters(index = "2", paramLabel = "<top>", description = "a descendant of <base>; removed with "
            + "everything between")
    String top;

    @Override
    public Integer call() {
        DomainSnapshots d = domain(args.domain);
        return runOrPlan(d, d.commit(base, top), r -> "committed '" + base + "'..'" + top + "' of '" + args.domain
                + "'", Changing::chainFields);
    }
}
