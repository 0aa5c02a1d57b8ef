package dev.esm.cli;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.RevertCommand;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Revert and refresh: they share --force and --start. */
abstract class Reverting extends Changing {
    @Option(names = {"-f", "--force"}, description = "power a running domain off first (its unsaved state is "
            + "lost)")
    boolean force;
    @Option(names = "--start", description = "start the domain afterwards")
    boolean start;
    @Option(names = "--running", description = "a memory snapshot: resume its running state")
    boolean running;
    @Option(names = "--paused", description = "a memory snapshot: restore its state, paused")
    boolean paused;

    int run(DomainSnapshots d, RevertCommand c, String done) {
        if (force) {
            c.stopIfRunning();
        }
        if (start) {
            c.start();
        }
        if (running) {
            c.running();
        }
        if (paused) {
            c.paused();
        }
        return runOrPlan(d, c, r -> done + " '" + r.name() + "'", r -> {
            Map<String, String> o = new LinkedHashMap<>();
            o.put("current", Json.snapshot(r, true));
            o.put("started", Boolean.toString(start));
            return o;
        });
    }
}
