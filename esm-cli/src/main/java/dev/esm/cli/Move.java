package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.MoveCommand;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code esm move}: Move a domain with its whole snapshot tree to another host. */
@CommandLine.Command(name = "move", mixinStandardHelpOptions = true,
        header = "Move a domain with its whole snapshot tree to another host.",
        description = {"Copies every image, memory file and firmware-state copy of the domain to the host at "
                + "<target-uri> (each checked by its CRC32C there), defines the domain and redefines every snapshot "
                + "there, verifies it, and only then removes the domain and its files here. Files a standby made by "
                + "'esm replicate' holds are not copied again. Run again after an interruption, it first finishes "
                + "or undoes the move left unfinished.",
                "With --live a running domain is moved live: its frozen images are copied while it runs, then "
                + "libvirt's live migration copies only the active layers and the RAM."})
final class Move extends Changing {
    @CommandLine.Parameters(index = "1", paramLabel = "<target-uri>",
            description = "the libvirt URI of the other host")
    String target;

    @CommandLine.Mixin
    TargetArgs to;

    @Option(names = "--live", description = "move a running domain live (a shut-off one moves as without it)")
    boolean live;

    @Option(names = "--migration-address", paramLabel = "HOST", description = "where this host's QEMU reaches the "
            + "target's for a live move (default: the target's host name)")
    String address;

    @Override
    public Integer call() {
        DomainSnapshots d = domain(args.domain);
        try (var there = to.open(target)) {
            MoveCommand move = d.moveTo(there);
            if (to.path != null) {
                move.path(to.path);
            }
            if (live) {
                move.live();
            }
            if (address != null) {
                move.migrationAddress(address);
            }
            return runOrPlan(d, move, r -> "moved '" + args.domain + "' to " + target, r -> {
                Map<String, String> o = new LinkedHashMap<>();
                o.put("target", Json.str(target));
                o.put("snapshots", String.valueOf(r.chain().snapshots().size()));
                return o;
            });
        }
    }
}
