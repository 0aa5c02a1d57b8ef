package dev.esm.bench.harness;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A benchmark's output: the text table (a header, then one row per result as it comes) and, at the end, the same rows
 * as a JSON array in a file.
 */
public final class Report {
    private final PrintStream out;
    private final List<Stats> results = new ArrayList<>();

    /** @param out where the table goes */
    public Report(PrintStream out) {
        this.out = out;
    }

    /** Prints the table's header. */
    public void header() {
        out.println(Stats.header());
    }

    /** Prints a line of its own between the rows (a note, or why rows are left out). */
    public void print(String line) {
        out.println(line);
    }

    /**
     * Adds a row and prints it.
     *
     * @return the row
     */
    public Stats add(String section, String op, String variant, int disks, String mode, int chain, List<Double> ms,
                     String note) {
        Stats s = Stats.of(section, op, variant, disks, mode, chain, ms, note);
        results.add(s);
        out.println(s.row());
        return s;
    }

    /** @return the rows so far */
    public List<Stats> results() {
        return results;
    }

    /** Writes the rows to {@code json} as a JSON array and says so; returns them. */
    public List<Stats> writeJson(Path json) throws IOException {
        Files.createDirectories(json.toAbsolutePath().getParent());
        Files.writeString(json, "[\n" + String.join(",\n", results.stream().map(Stats::json).toList()) + "\n]\n");
        out.println("written " + json);
        return results;
    }
}
