package dev.esm.bench.harness;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A benchmark's command line: {@code --smoke} (a quick pass, nothing asserted), {@code --json=FILE} and any other
 * {@code --name=value}; words it does not know are ignored, as the benchmarks always did. The sizes come from system
 * properties ({@code -Desm.bench.runs=N} and the benchmark's own).
 */
public final class Args {
    private final boolean smoke;
    private final Map<String, String> values = new LinkedHashMap<>();

    private Args(String[] args) {
        boolean s = false;
        for (String a : args) {
            if (a.equals("--smoke")) {
                s = true;
            } else if (a.startsWith("--") && a.indexOf('=') > 2) {
                values.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            }
        }
        this.smoke = s;
    }

    /** @return the command line read */
    public static Args parse(String[] args) {
        return new Args(args);
    }

    /** @return whether {@code --smoke} was given */
    public boolean smoke() {
        return smoke;
    }

    /** @return the last {@code --name=value}'s value, else {@code otherwise} */
    public String get(String name, String otherwise) {
        return values.getOrDefault(name, otherwise);
    }

    /** @return {@code --json=FILE}, else {@code otherwise} */
    public Path json(String otherwise) {
        return Path.of(get("json", otherwise));
    }

    /** @return {@code -Desm.bench.runs}, else {@code smokeRuns} or {@code fullRuns} */
    public static int runs(boolean smoke, int smokeRuns, int fullRuns) {
        return Integer.getInteger("esm.bench.runs", smoke ? smokeRuns : fullRuns);
    }
}
