package dev.esm.bench.harness;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One row of a benchmark: timings of repeated runs, their median and spread (10th and 90th percentile), in
 * milliseconds; printed as a text row ({@link #row()} under {@link #header()}) and as a JSON object ({@link #json()}).
 */
public record Stats(String section, String operation, String variant, int disks, String mode, int chain, int runs,
             double median, double p10, double p90, String note) {

    /** @return the row of these timings (in any order) */
    public static Stats of(String section, String operation, String variant, int disks, String mode, int chain,
                    List<Double> ms, String note) {
        List<Double> s = new ArrayList<>(ms);
        Collections.sort(s);
        return new Stats(section, operation, variant, disks, mode, chain, s.size(), pct(s, 50), pct(s, 10), pct(s, 90),
                note);
    }

    /** @return the {@code p}th percentile of sorted timings (the nearest rank); NaN for none */
    static double pct(List<Double> sorted, int p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.round((sorted.size() - 1) * p / 100.0);
        return sorted.get(i);
    }

    /** @return the row as one JSON object */
    public String json() {
        return String.format(java.util.Locale.ROOT, "{\"section\":\"%s\",\"operation\":\"%s\",\"variant\":\"%s\","
                        + "\"disks\":%d,\"mode\":\"%s\",\"chain\":%d,\"runs\":%d,\"medianMs\":%.3f,\"p10Ms\":%.3f,"
                        + "\"p90Ms\":%.3f,\"note\":\"%s\"}", section, operation, variant, disks, mode, chain, runs,
                median, p10, p90, note.replace("\"", "'"));
    }

    /** @return the row as one line of the text table */
    public String row() {
        return String.format(java.util.Locale.ROOT, "%-10s %-16s %-16s %5d %-8s %6d %5d %10.1f %10.1f %10.1f  %s",
                section, operation, variant, disks, mode, chain, runs, median, p10, p90, note);
    }

    /** @return the text table's header line */
    public static String header() {
        return String.format("%-10s %-16s %-16s %5s %-8s %6s %5s %10s %10s %10s  %s", "section", "operation", "variant",
                "disks", "mode", "chain", "runs", "median ms", "p10 ms", "p90 ms", "note");
    }
}
