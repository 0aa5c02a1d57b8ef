package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Parameters;

/** {@code esm setup}: Set a shut-off domain up for snapshots in &lt;path&gt;/disks. */
@CommandLine.Command(name = "setup", mixinStandardHelpOptions = true,
        header = "Set a shut-off domain up for snapshots in <path>/disks.",
        description = "Moves the domain's images to <path>/disks, freezes them as the base and puts the domain "
                + "on fresh overlays, so that 'revert DOMAIN base' and 'refresh' work from the first minute. "
                + "Refused once the domain has snapshots.")
final class Setup extends Changing {
    @Parameters(index = "1", paramLabel = "<path>", description = "a folder on the domain's host; 'disks' is "
            + "created in it")
    String path;

    @Override
    public Integer call() {
        String dir = Path.of(path).toAbsolutePath().normalize().toString();
        DomainSnapshots d = domain(args.domain);
        return runOrPlan(d, d.setup(dir), r -> "set up '" + args.domain + "' in " + dir + "/disks", r -> {
            Map<String, String> o = new LinkedHashMap<>();
            o.put("folder", Json.str(dir + "/disks"));
            o.putAll(chainFields(r));
            return o;
        });
    }
}
