package dev.esm.cli;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageInfo;
import dev.esm.api.Plan;
import dev.esm.api.PlanStep;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.api.StepKind;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
     * {@code description} and the {@code paths} it names; a merge step also has {@code disk}, {@code top},
     * {@code base}, {@code live} and {@code bytes} (see {@link #mergeBytes}).
     */
    static String plan(Plan plan) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("operation", str(plan.operation().name().toLowerCase(java.util.Locale.ROOT)));
        o.put("domain", str(plan.domain()));
        o.put("dryRun", "true");
        o.put("steps", array(plan.steps().stream().map(Json::step).toList()));
        return object(o);
    }

    // The API's PlanStep has a kind and a sentence only; the paths are taken back out of the sentences that
    // dev.esm.core.plan.Step writes (paths may contain blanks, so each kind has its own pattern).
    private static final Pattern MERGE = Pattern.compile(
            "(live block commit|offline commit) of (\\S+): (.+) into (.+?)(, then pivot onto it)?");
    private static final Map<StepKind, Pattern> PATHS = Map.of(
            StepKind.MAKE_DIRECTORY, Pattern.compile("create folder (.+)"),
            StepKind.MOVE_IMAGE, Pattern.compile("place (.+) at (.+) \\(hard link.*"),
            StepKind.CREATE_OVERLAY, Pattern.compile("create overlay (.+) for \\S+ on (.+) \\(\\w+\\)"),
            StepKind.REBASE, Pattern.compile("point (.+) at (.+) \\(same content, header only\\)"),
            StepKind.REMOVE_FILE, Pattern.compile("remove (.+?) \\((.*)\\)"));
    private static final Pattern TARGET_PATH = Pattern.compile("\\w+ -> (/[^,)]+)");

    static String step(PlanStep step) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("kind", str(step.kind().name()));
        o.put("description", str(step.description()));
        List<String> paths = new ArrayList<>();
        Matcher m;
        if (step.kind() == StepKind.MERGE && (m = MERGE.matcher(step.description())).matches()) {
            paths.add(m.group(3));
            paths.add(m.group(4));
            o.put("paths", strings(paths));
            o.put("disk", str(m.group(2)));
            o.put("top", str(m.group(3)));
            o.put("base", str(m.group(4)));
            o.put("live", Boolean.toString(m.group(1).startsWith("live")));
            o.put("pivot", Boolean.toString(m.group(5) != null));
            o.put("bytes", mergeBytes(m.group(3), m.group(4)).map(String::valueOf).orElse("null"));
            return object(o);
        }
        Pattern p = PATHS.get(step.kind());
        if (p != null && (m = p.matcher(step.description())).matches()) {
            int groups = step.kind() == StepKind.REMOVE_FILE ? 1 : m.groupCount();
            for (int g = 1; g <= groups; g++) {
                paths.add(m.group(g));
            }
        } else if (step.kind() == StepKind.DEFINE_DOMAIN || step.kind() == StepKind.REDEFINE_SNAPSHOT) {
            m = TARGET_PATH.matcher(step.description());
            while (m.find()) {
                paths.add(m.group(1));
            }
        }
        o.put("paths", strings(paths));
        return object(o);
    }

    /**
     * The bytes a merge of {@code top} into {@code base} copies at most: the file sizes of {@code top} and of every
     * image between it and {@code base}, found by following the qcow2 headers' backing references. Empty when the
     * images cannot be read here (another host, no permission) or the chain does not lead to {@code base}.
     */
    static Optional<Long> mergeBytes(String top, String base) {
        Path target = Path.of(base).normalize();
        Path image = Path.of(top).normalize();
        long bytes = 0;
        try {
            for (int i = 0; i < 250; i++) {
                if (image.equals(target)) {
                    return Optional.of(bytes);
                }
                bytes += Files.size(image);
                Optional<String> backing = qcow2Backing(image);
                if (backing.isEmpty()) {
                    return Optional.empty();
                }
                Path next = Path.of(backing.get());
                image = (next.isAbsolute() ? next : image.resolveSibling(next)).normalize();
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Optional<String> qcow2Backing(Path image) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            if (f.readInt() != 0x514649fb) {
                return Optional.empty();
            }
            f.seek(8);
            long offset = f.readLong();
            int size = f.readInt();
            if (offset == 0 || size <= 0 || size > 4096) {
                return Optional.empty();
            }
            byte[] name = new byte[size];
            f.seek(offset);
            f.readFully(name);
            return Optional.of(new String(name, StandardCharsets.UTF_8));
        }
    }
}
