package dev.esm.core.plan;

import dev.esm.api.ImageAccess;
import dev.esm.api.Operation;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The durable record of a move or replication in progress, kept on this host next to the domain's journal: where it
 * goes, what it made on the target (to undo), the snapshots' metadata a live move put aside here (to put back, or to
 * redefine there), and whether the point of no return was passed (the target verified, or the domain migrated: from
 * there it is completed, by removing the domain here).
 *
 * @param operation {@link Operation#MOVE} or {@link Operation#REPLICATE}
 * @param source the URI of the host the domain leaves
 * @param target the target host's URI
 * @param access how the transfer reached each host's images, so that a recovery reaches the other host the same way
 * @param targetHadDomain whether the target had the domain before (a standby), so undoing keeps its definition
 * @param made the files copied to the target so far (its paths), removed by an undo unless the target held them
 * @param phase how far it got: copying, at the point of no return (verifying the target, or migrating), past it
 * @param here the files to remove here once it was
 * @param aside the snapshots' XML as this host names files, parents first, when a live move put them aside
 * @param current the current snapshot among them
 * @param moved each file's path here to its path on the target
 */
public record TransferJournal(Operation operation, String source, String target, Access access,
                              boolean targetHadDomain, List<String> made, Phase phase, List<String> here,
                              List<String> aside, Optional<String> current, Map<String, String> moved) {
    private static final String HEADER = "esm-transfer 1";

    /** How far a transfer got. */
    public enum Phase {
        /** Copying to the target; nothing is decided. */
        COPYING,
        /** Verifying the target, or migrating to it: whether it passed is known to the target alone. */
        DECIDING,
        /** Past the point of no return: the domain is whole on the target, and is completed there. */
        VERIFIED
    }

    /**
     * How the transfer reached each host's images, as its managers were given it: a recovery connects to the other
     * host by its URI with the same choice (a target reached through its storage API on a URI that
     * {@link ImageAccess#AUTO} takes for local files must not be recovered as local files). {@link #AS_URI} for a
     * journal that does not say (written before this was kept).
     *
     * @param source how the host the domain leaves was reached
     * @param target how the target was reached
     */
    public record Access(ImageAccess source, ImageAccess target) {
        /** Both decided from the URI. */
        public static final Access AS_URI = new Access(ImageAccess.AUTO, ImageAccess.AUTO);

        public Access {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(target, "target");
        }
    }

    /** @return whether the point of no return was passed */
    public boolean verified() {
        return phase == Phase.VERIFIED;
    }

    public TransferJournal {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(phase, "phase");
        made = List.copyOf(made);
        here = List.copyOf(here);
        aside = List.copyOf(aside);
        Objects.requireNonNull(current, "current");
        moved = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(moved));
    }

    /** A journal of nothing made yet. */
    public TransferJournal(Operation operation, String source, String target, Access access,
                           boolean targetHadDomain, List<String> here, Map<String, String> moved) {
        this(operation, source, target, access, targetHadDomain, List.of(), Phase.COPYING, here, List.of(),
                Optional.empty(), moved);
    }

    /** @return this journal with {@code path} made on the target */
    public TransferJournal making(String path) {
        List<String> m = new ArrayList<>(made);
        if (!m.contains(path)) {
            m.add(path);
        }
        return new TransferJournal(operation, source, target, access, targetHadDomain, m, phase, here, aside, current,
                moved);
    }

    /** @return this journal past the point of no return */
    public TransferJournal verifiedNow() {
        return in(Phase.VERIFIED);
    }

    /** @return this journal at the point of no return (verifying, or migrating) */
    public TransferJournal deciding() {
        return in(Phase.DECIDING);
    }

    private TransferJournal in(Phase p) {
        return new TransferJournal(operation, source, target, access, targetHadDomain, made, p, here, aside, current,
                moved);
    }

    /** @return this journal with the snapshots' metadata put aside */
    public TransferJournal puttingAside(List<String> xmls, Optional<String> currentSnapshot) {
        return new TransferJournal(operation, source, target, access, targetHadDomain, made, phase, here, xmls,
                currentSnapshot, moved);
    }

    /** @return the journal as text, one field per line and one line per path or snapshot */
    public String write() {
        StringBuilder b = new StringBuilder(HEADER).append('\n').append(operation.name()).append('\n').append(source)
                .append('\n').append(target)
                .append('\n').append(targetHadDomain).append('\n').append(phase.name()).append('\n');
        b.append("access\t").append(access.source().name()).append('\t').append(access.target().name())
                .append('\n');
        made.forEach(p -> b.append("made\t").append(p).append('\n'));
        here.forEach(p -> b.append("here\t").append(p).append('\n'));
        Base64.Encoder b64 = Base64.getEncoder();
        aside.forEach(x -> b.append("aside\t").append(b64.encodeToString(x.getBytes(StandardCharsets.UTF_8)))
                .append('\n'));
        current.ifPresent(c -> b.append("current\t").append(c).append('\n'));
        moved.forEach((from, to) -> b.append("moved\t").append(from).append('\t').append(to).append('\n'));
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
        if (lines.length < 6 || !lines[0].equals(HEADER)) {
            throw new IllegalArgumentException("not a transfer journal");
        }
        List<String> made = new ArrayList<>();
        List<String> here = new ArrayList<>();
        List<String> aside = new ArrayList<>();
        Optional<String> current = Optional.empty();
        Map<String, String> moved = new LinkedHashMap<>();
        Access access = Access.AS_URI;
        Base64.Decoder b64 = Base64.getDecoder();
        for (int i = 6; i < lines.length; i++) {
            String[] f = lines[i].split("\t", 3);
            switch (f[0]) {
                case "access" -> access = new Access(ImageAccess.valueOf(f[1]), ImageAccess.valueOf(f[2]));
                case "made" -> made.add(f[1]);
                case "here" -> here.add(f[1]);
                case "aside" -> aside.add(new String(b64.decode(f[1]), StandardCharsets.UTF_8));
                case "current" -> current = Optional.of(f[1]);
                case "moved" -> moved.put(f[1], f[2]);
                default -> throw new IllegalArgumentException("unknown line in a transfer journal: " + f[0]);
            }
        }
        return new TransferJournal(Operation.valueOf(lines[1]), lines[2], lines[3], access,
                Boolean.parseBoolean(lines[4]), made, Phase.valueOf(lines[5]), here, aside, current, moved);
    }
}
