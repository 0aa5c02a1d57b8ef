package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code esm create}: Take a snapshot of all eligible disks at once. */
@CommandLine.Command(name = "create", mixinStandardHelpOptions = true,
        header = "Take a snapshot of all eligible disks at once.",
        description = "Takes snapshot <name> of every eligible disk at once, shut off or running; it becomes the"
                + " current snapshot.")
final class Create extends Changing {
    @Parameters(index = "1", paramLabel = "<name>", description = "the new snapshot's name (letters, digits, "
            + "'.', '_', '-'; not 'base')")
    String name;
    @Option(names = {"-d", "--description"}, paramLabel = "TEXT", description = "a description kept with the "
            + "snapshot")
    String description;
    @Option(names = "--quiesce", description = "freeze guest file systems through the guest agent (running "
            + "domain with qemu-guest-agent)")
    boolean quiesce;
    @Option(names = "--memory", description = "also save RAM and device state (running or paused domain)")
    boolean memory;

    @Override
    public Integer call() {
        DomainSnapshots d = domain(args.domain);
        var c = d.snapshot(name);
        if (description != null) {
            c.description(description);
        }
        if (quiesce) {
            c.quiesce();
        }
        if (memory) {
            c.memory();
        }
        return runOrPlan(d, c, r -> "created snapshot '" + name + "' of '" + args.domain + "'", r -> {
            Map<String, String> o = new LinkedHashMap<>();
            o.put("created", Json.snapshot(r, true));
            o.put("current", Json.str(r.name()));
            return o;
        });
    }
}
