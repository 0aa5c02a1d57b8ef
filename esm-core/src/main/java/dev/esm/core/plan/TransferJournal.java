package dev.esm.core.plan;

import dev.esm.api.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The durable record of a move or replication in progress, kept on this host next to the domain's journal: where it
 * goes, what it made on the target (to undo), and whether the target was verified (a move's point of no return: from
 * there it is completed, by removing the domain here).
 *
 * @param operation {@link Operation#MOVE} or {@link Operation#REPLICATE}
 * @param target the target host's URI
 * @param targetHadDomain whether the target had the domain before (a standby), so undoing keeps its definition
 * @param made the files copied to the target so far (its paths), removed by an undo unless the target held them
 * @param verified whether the target was verified and this host's removal began
 * @param here the files to remove here once verified
 */
public record TransferJournal(Operation operation, String target, boolean targetHadDomain, List<String> made,
                              boolean verified, List<String> here) {
    private static final String HEADER = "esm-transfer 1";

    public TransferJournal {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(target, "target");
        made = List.copyOf(made);
        here = List.copyOf(here);
    }

    /** @return this journal with {@code path} made on the target */
    public TransferJournal making(String path) {
        List<String> m = new ArrayList<>(made);
        if (!m.contains(path)) {
            m.add(path);
        }
        return new TransferJournal(operation, target, targetHadDomain, m, verified, here);
    }

    /** @return this journal past the point of no return */
    public TransferJournal verifiedNow() {
        return new TransferJournal(operation, target, targetHadDomain, made, true, here);
    }

    /** @return the journal as text, one field per line and one line per path */
    public String write() {
        StringBuilder b = new StringBuilder(HEADER).append('\n').append(operation.name()).append('\n').append(target)
                .append('\n').append(targetHadDomain).append('\n').append(verified).append('\n');
        made.forEach(p -> b.append("made\t").append(p).append('\n'));
        here.forEach(p -> b.append("here\t").append(p).append('\n'));
        return b.toString();
    }

    /** @return whether {@code text} is such a journal */
    public static boolean is(String text) {
        return text.startsWith(HEADER + "\n");
    }

    /**
     * @param text what {@link #write()} gave
     * @return the journal
     */
    public static TransferJournal read(String text) {
        String[] lines = text.split("\n");
        if (lines.length < 5 || !lines[0].equals(HEADER)) {
            throw new IllegalArgumentException("not a transfer journal");
        }
        List<String> made = new ArrayList<>();
        List<String> here = new ArrayList<>();
        for (int i = 5; i < lines.length; i++) {
            String[] f = lines[i].split("\t", 2);
            (f[0].equals("made") ? made : here).add(f[1]);
        }
        return new TransferJournal(Operation.valueOf(lines[1]), lines[2], Boolean.parseBoolean(lines[3]), made,
                Boolean.parseBoolean(lines[4]), here);
    }
}
