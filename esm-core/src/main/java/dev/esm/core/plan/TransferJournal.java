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
 * there it is completed, by removing the domain here), and how the run reached each host's images and state, so that a
 * recovery from either host reaches the other's journal and files as the run did.
 *
 * @param operation {@link Operation#MOVE} or {@link Operation#REPLICATE}
 * @param source the URI of the host the domain leaves
 * @param target the target host's URI
 * @param targetHadDomain whether the target had the domain before (a standby), so undoing keeps its definition
 * @param made the files copied to the target so far (its paths), removed by an undo unless the target held them
 * @param phase how far it got: copying, at the point of no return (verifying the target, or migrating), past it
 * @param here the files to remove here once it was
 * @param aside the snapshots' XML as this host names files, parents first, when a live move put them aside
 * @param current the current snapshot among them
 * @param moved each file's path here to its path on the target
 * @param firmware the firmware variables' file here, when a live move's migration leaves the domain paused there
 *                 until that file, as the guest left it here, is copied over the one there (then it is resumed)
 * @param sourceAccess how the run reached the source's images and state (where its journal is kept there), so that
 *                     a recovery from the target reaches the same; {@link ImageAccess#AUTO} when not known (by the
 *                     URI)
 * @param targetAccess how the run reached the target's, for a recovery from the source
 */
public record TransferJournal(Operation operation, String source, String target, boolean targetHadDomain, List<String> made,
                              Phase phase, List<String> here, List<String> aside, Optional<String> current,
                              Map<String, String> moved, Optional<String> firmware, ImageAccess sourceAccess,
                              ImageAccess targetAccess) {
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

    /** @return whether the point of no return was passed */
    public boolean verified() {
        return phase == Phase.VERIFIED;
    }

    public TransferJournal {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(phase, "phase");
        made = List.copyOf(made);
        here = List.copyOf(here);
        aside = List.copyOf(aside);
        Objects.requireNonNull(current, "current");
        moved = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(moved));
        Objects.requireNonNull(firmware, "firmware");
        Objects.requireNonNull(sourceAccess, "sourceAccess");
        Objects.requireNonNull(targetAccess, "targetAccess");
    }

    /** A journal of nothing made yet, each host reached as its URI says ({@link ImageAccess#AUTO}). */
    public TransferJournal(Operation operation, String source, String target, boolean targetHadDomain,
                           List<String> here, Map<String, String> moved) {
        this(operation, source, target, targetHadDomain, List.of(), Phase.COPYING, here, List.of(), Optional.empty(),
                moved, Optional.empty(), ImageAccess.AUTO, ImageAccess.AUTO);
    }

    /** @return this journal naming how the run reached each host */
    public TransferJournal reachedBy(ImageAccess onSource, ImageAccess onTarget) {
        return new TransferJournal(operation, source, target, targetHadDomain, made, phase, here, aside, current, moved,
                firmware, onSource, onTarget);
    }

    /** @return this journal with {@code path} made on the target */
    public TransferJournal making(String path) {
        List<String> m = new ArrayList<>(made);
        if (!m.contains(path)) {
            m.add(path);
        }
        return new TransferJournal(operation, source, target, targetHadDomain, m, phase, here, aside, current, moved,
                firmware, sourceAccess, targetAccess);
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
        return new TransferJournal(operation, source, target, targetHadDomain, made, p, here, aside, current, moved,
                firmware, sourceAccess, targetAccess);
    }

    /** @return this journal with the snapshots' metadata put aside */
    public TransferJournal puttingAside(List<String> xmls, Optional<String> currentSnapshot) {
        return new TransferJournal(operation, source, target, targetHadDomain, made, phase, here, xmls, currentSnapshot,
                moved, firmware, sourceAccess, targetAccess);
    }

    /** @return this journal with the domain left paused on the target until {@code file} here is copied there */
    public TransferJournal pausedForFirmware(String file) {
        return new TransferJournal(operation, source, target, targetHadDomain, made, phase, here, aside, current,
                moved, Optional.of(file), sourceAccess, targetAccess);
    }

    /** @return the journal as text, one field per line and one line per path or snapshot */
    public String write() {
        StringBuilder b = new StringBuilder(HEADER).append('\n').append(operation.name()).append('\n').append(source)
                .append('\n').append(target)
                .append('\n').append(targetHadDomain).append('\n').append(phase.name()).append('\n');
        made.forEach(p -> b.append("made\t").append(p).append('\n'));
        here.forEach(p -> b.append("here\t").append(p).append('\n'));
        Base64.Encoder b64 = Base64.getEncoder();
        aside.forEach(x -> b.append("aside\t").append(b64.encodeToString(x.getBytes(StandardCharsets.UTF_8)))
                .append('\n'));
        current.ifPresent(c -> b.append("current\t").append(c).append('\n'));
        moved.forEach((from, to) -> b.append("moved\t").append(from).append('\t').append(to).append('\n'));
        firmware.ifPresent(f -> b.append("firmware\t").append(f).append('\n'));
        if (sourceAccess != ImageAccess.AUTO) {
            b.append("sourceAccess\t").append(sourceAccess.name()).append('\n');
        }
        if (targetAccess != ImageAccess.AUTO) {
            b.append("targetAccess\t").append(targetAccess.name()).append('\n');
        }
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
        Optional<String> firmware = Optional.empty();
        ImageAccess sourceAccess = ImageAccess.AUTO; // a journal of an earlier version: as the URIs say
        ImageAccess targetAccess = ImageAccess.AUTO;
        Base64.Decoder b64 = Base64.getDecoder();
        for (int i = 6; i < lines.length; i++) {
            String[] f = lines[i].split("\t", 3);
            switch (f[0]) {
                case "made" -> made.add(f[1]);
                case "here" -> here.add(f[1]);
                case "aside" -> aside.add(new String(b64.decode(f[1]), StandardCharsets.UTF_8));
                case "current" -> current = Optional.of(f[1]);
                case "moved" -> moved.put(f[1], f[2]);
                case "firmware" -> firmware = Optional.of(f[1]);
                case "sourceAccess" -> sourceAccess = ImageAccess.valueOf(f[1]);
                case "targetAccess" -> targetAccess = ImageAccess.valueOf(f[1]);
                default -> throw new IllegalArgumentException("unknown line in a transfer journal: " + f[0]);
            }
        }
        return new TransferJournal(Operation.valueOf(lines[1]), lines[2], lines[3], Boolean.parseBoolean(lines[4]),
                made, Phase.valueOf(lines[5]), here, aside, current, moved, firmware, sourceAccess,
                targetAccess);
    }
}
