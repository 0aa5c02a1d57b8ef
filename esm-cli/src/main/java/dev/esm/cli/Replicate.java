package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.ReplicateCommand;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;

/** {@code esm replicate}: Keep a standby copy of a domain's snapshot tree on another host. */
@CommandLine.Command(name = "replicate", mixinStandardHelpOptions = true,
        header = "Keep a standby copy of a domain's snapshot tree on another host.",
        description = {"Sends to the host at <target-uri> what is new in the domain's snapshot tree since the last "
                + "run: frozen images, memory files and firmware copies of new snapshots (what the standby holds is "
                + "not sent again), and the snapshots' metadata. The standby is a shut-off domain of the same name "
                + "whose disks show the current snapshot; 'esm move' to that host later copies only what is new."})
final class Replicate extends Changing {
    @CommandLine.Parameters(index = "1", paramLabel = "<target-uri>",
            description = "the libvirt URI of the other host")
    String target;

    @CommandLine.Mixin
    TargetArgs to;

    @Override
    public Integer call() {
        DomainSnapshots d = domain(args.domain);
        try (var there = to.open(target)) {
            ReplicateCommand replicate = d.replicateTo(there);
            if (to.path != null) {
                replicate.path(to.path);
            }
            return runOrPlan(d, replicate, r -> "replicated '" + args.domain + "' to " + target + ": "
                    + r.copied().size() + " files sent (" + r.bytes() + " bytes), " + r.kept().size() + " kept", r -> {
                        Map<String, String> o = new LinkedHashMap<>();
                        o.put("target", Json.str(target));
                        o.put("copied", Json.strings(r.copied()));
                        o.put("kept", Json.strings(r.kept()));
                        o.put("removed", Json.strings(r.removed()));
                        o.put("bytes", String.valueOf(r.bytes()));
                        o.put("snapshots", String.valueOf(r.snapshots()));
                        return o;
                    });
        }
    }
}
