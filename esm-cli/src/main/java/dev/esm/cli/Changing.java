package dev.esm.cli;

import dev.esm.api.Command;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.MergeCommand;
import dev.esm.api.Plan;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.StepKind;
import dev.esm.api.errors.OperationCancelledException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** A changing command: runs, or prints its plan with --dry-run; --json for both. */
abstract class Changing extends Sub {
    @CommandLine.Mixin
    DomainArgs args;

    @Option(names = {"-n", "--dry-run"}, description = "print the plan; change nothing")
    boolean dryRun;

    @Option(names = "--json", description = "print the result (or the plan) as JSON")
    boolean json;

    /**
     * Runs the command or prints its plan.
     *
     * @param d the args.domain
     * @param command the command, options set
     * @param human the line printed on success
     * @param jsonFields the result's JSON fields after "operation" and "domain"
     */
    <R> int runOrPlan(DomainSnapshots d, Command<R> command, Function<R, String> human,
                      Function<R, Map<String, String>> jsonFields) {
        if (dryRun) {
            Plan plan = command.plan();
            out().print(json ? Json.plan(plan) + "\n" : plan.render());
            out().flush();
            return 0;
        }
        Set<String> before = null;
        List<String> merges = null;
        if (json && command instanceof MergeCommand<?>) {
            before = d.chain().snapshots().stream().map(Snapshot::name).collect(Collectors.toSet());
            merges = command.plan().steps().stream().filter(s -> s.kind() == StepKind.MERGE).map(Json::step)
                    .toList();
        }
        Session session = root.session;
        ProgressBar bar = null;
        if (command instanceof MergeCommand<?> m && !root.quiet && session.progressWanted()) {
            bar = new ProgressBar(session.err);
            m.progress(bar);
        }
        R result;
        boolean interrupted;
        session.running(command);
        try {
            result = command.execute();
        } catch (RuntimeException e) {
            if (session.finished() && !(e instanceof OperationCancelledException)) {
                // A terminal's Ctrl-C reaches the whole process group: qemu-img dies of it before ESM's
                // cancel() stops it, and ESM sees a failed merge (cleaned up the same way). Say what happened.
                throw new OperationCancelledException("cancelled (Ctrl-C): " + e.getMessage(), e);
            }
            throw e;
        } finally {
            interrupted = session.finished();
            if (bar != null) {
                bar.done();
            }
        }
        if (json) {
            Map<String, String> o = new LinkedHashMap<>();
            o.put("operation", Json.str(spec.name()));
            o.put("domain", Json.str(d.name()));
            o.putAll(jsonFields.apply(result));
            if (before != null && result instanceof SnapshotChain after) {
                Set<String> left = after.snapshots().stream().map(Snapshot::name).collect(Collectors.toSet());
                o.put("removed", Json.strings(before.stream().filter(n -> !left.contains(n)).sorted().toList()));
                o.put("merged", Json.array(merges));
            }
            out().println(Json.object(o));
        } else {
            say(human.apply(result));
        }
        if (interrupted) {
            session.err.println("esm: " + session.where + "interrupted; the command had completed");
            return Session.INTERRUPTED;
        }
        return 0;
    }

    static Map<String, String> chainFields(SnapshotChain chain) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("current", chain.current().map(c -> Json.snapshot(c, chain)).orElse("null"));
        o.put("snapshots", Json.strings(chain.snapshots().stream().map(Snapshot::name).toList()));
        return o;
    }
}
