package dev.esm.cli;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageInfo;
import dev.esm.api.Plan;
import dev.esm.api.PlanStep;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.StepKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A tiny JSON writer for the commands' {@code --json} output (no dependency needed for this much). */
final class Json {
    private Json() {
    }

    static String str(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    static String opt(Optional<String> s) {
        return s.map(Json::str).orElse("null");
    }

    static String image(DiskImage i) {
        return "{\"disk\":" + str(i.target()) + ",\"path\":" + str(i.path()) + ",\"format\":" + str(i.format().id())
                + "}";
    }

    static String info(ImageInfo i) {
        return "{\"path\":" + str(i.path()) + ",\"format\":" + str(i.format().id()) + ",\"virtualSize\":"
                + i.virtualSize() + ",\"actualSize\":" + i.actualSize() + ",\"backing\":" + opt(i.backing()) + "}";
    }

    static String snapshot(Snapshot s, SnapshotChain chain) {
        return snapshot(s, chain.current().map(c -> c.name().equals(s.name())).orElse(false));
    }

    static String snapshot(Snapshot s, boolean current) {
        return "{\"name\":" + str(s.name()) + ",\"parent\":" + opt(s.parent()) + ",\"base\":" + s.isBase()
                + ",\"current\":" + current + ",\"creationTime\":" + str(s.creationTime().toString())
                + ",\"description\":" + str(s.description()) + ",\"state\":" + str(s.state().libvirtName())
                + ",\"memory\":" + s.hasMemory() + ",\"memoryFile\":" + opt(s.memoryFile())
                + ",\"images\":" + array(s.images().stream().map(Json::image).toList()) + "}";
    }

    static String array(List<String> items) {
        return "[" + String.join(",", items) + "]";
    }

    static String strings(List<String> items) {
        return array(items.stream().map(Json::str).toList());
    }

    /** An object from name/value pairs whose values are JSON already. */
    static String object(Map<String, String> fields) {
        List<String> parts = new ArrayList<>();
        fields.forEach((k, v) -> parts.add(str(k) + ":" + v));
        return "{" + String.join(",", parts) + "}";
    }

    /**
     * A plan: {@code {"operation", "domain", "dryRun": true, "steps": [...]}}, each step with its {@code kind},
     * {@code description}, the {@code paths} it names and, where it has them, its {@code snapshot} and {@code disk};
     * a merge step also has {@code top}, {@code base}, {@code live}, {@code pivot} and {@code bytes} (the most it
     * copies, or null when unknown) — all read from the API's {@link PlanStep}, never parsed out of sentences.
     */
    static String plan(Plan plan) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("operation", str(plan.operation().name().toLowerCase(java.util.Locale.ROOT)));
        o.put("domain", str(plan.domain()));
        o.put("dryRun", "true");
        o.put("steps", array(plan.steps().stream().map(Json::step).toList()));
        return object(o);
    }

    static String step(PlanStep step) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("kind", str(step.kind().name()));
        o.put("description", str(step.description()));
        o.put("paths", strings(step.paths()));
        step.snapshot().ifPresent(n -> o.put("snapshot", str(n)));
        step.disk().ifPresent(d -> o.put("disk", str(d)));
        if (step.kind() == StepKind.MERGE && step.paths().size() == 2) {
            o.put("top", str(step.paths().get(0)));
            o.put("base", str(step.paths().get(1)));
            o.put("live", Boolean.toString(step.description().startsWith("live")));
            o.put("pivot", Boolean.toString(step.description().endsWith(", then pivot onto it")));
            o.put("bytes", step.bytes().isPresent() ? Long.toString(step.bytes().getAsLong()) : "null");
        }
        return object(o);
    }

    /**
     * The findings of {@code verify}: {@code [{"kind", "snapshot", "disk", "path", "message"}, ...]} (absent parts
     * are null).
     */
    static String findings(List<dev.esm.api.Finding> findings) {
        return array(findings.stream().map(f -> {
            Map<String, String> o = new LinkedHashMap<>();
            o.put("kind", str(f.kind().name()));
            o.put("snapshot", f.snapshot().map(Json::str).orElse("null"));
            o.put("disk", f.disk().map(Json::str).orElse("null"));
            o.put("path", f.path().map(Json::str).orElse("null"));
            o.put("message", str(f.message()));
            return object(o);
        }).toList());
    }
}
