package dev.esm.cli;

import dev.esm.api.ImageInfo;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.SnapshotInfo;
import picocli.CommandLine;
import picocli.CommandLine.Parameters;

/** {@code esm info}: Show one snapshot (or the base) with its images' sizes. */
@CommandLine.Command(name = "info", mixinStandardHelpOptions = true,
        header = "Show one snapshot (or the base) with its images' sizes.",
        description = "Parent, time, state, description, and each image with its format, virtual size and size "
                + "on disk.")
final class Info extends Reading {
    @Parameters(index = "1", paramLabel = "<name|base>", description = "a snapshot name, or 'base'")
    String name;

    @Override
    public Integer call() {
        return withDomain(args.domain, d -> {
            SnapshotInfo info = d.info(name);
            SnapshotChain chain = d.chain();
            if (json) {
                String s = Json.snapshot(info.snapshot(), chain);
                out().println(s.substring(0, s.length() - 1) + ",\"imageInfo\":"
                        + Json.array(info.images().stream().map(Json::info).toList()) + ",\"actualSize\":"
                        + info.actualSize() + (info.memorySize().isPresent() ? ",\"memorySize\":"
                        + info.memorySize().getAsLong() : "") + "}");
                return 0;
            }
            Snapshot s = info.snapshot();
            out().println("name:        " + s.name() + (chain.current().map(c -> c.name().equals(s.name()))
                    .orElse(false) ? " (current)" : ""));
            out().println("parent:      " + (s.isBase() ? "-" : s.parent().orElse("base")));
            out().println("created:     " + s.creationTime());
            out().println("state:       " + s.state().libvirtName());
            out().println("description: " + s.description());
            s.memoryFile().ifPresent(m -> out().println("memory:      " + m + (info.memorySize().isPresent()
                    ? " (" + info.memorySize().getAsLong() + " bytes)" : " (missing)")));
            for (ImageInfo i : info.images()) {
                out().printf("image:       %s (%s, %d bytes virtual, %d bytes on disk)%n", i.path(),
                        i.format().id(), i.virtualSize(), i.actualSize());
            }
            return 0;
        });
    }
}
