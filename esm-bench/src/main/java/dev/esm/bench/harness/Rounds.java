package dev.esm.bench.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Interleaved rounds: each round runs every variant once, in turn, so that a load that comes and goes weighs on all
 * of them alike; untimed warm-up rounds first. The timings are kept per key (a variant, or a variant and an
 * operation), in the order they were first recorded.
 */
public final class Rounds {
    private final Map<String, List<Double>> ms = new LinkedHashMap<>();

    /** One round: its number (negative for a warm-up round, 0.. for timed ones) and its index from 0 over all. */
    public record Round(int number, int index) {
        /** @return whether the round is timed (not a warm-up) */
        public boolean timed() {
            return number >= 0;
        }
    }

    /** What a round does with one variant. */
    @FunctionalInterface
    public interface Body<V> {
        /** Runs {@code variant} once in {@code round}, recording its timings with {@link #record}. */
        void run(Round round, V variant) throws Exception;
    }

    /**
     * Runs {@code warm} untimed rounds, then {@code timed} rounds, each over every variant in turn.
     *
     * @param rotate start each round with the next variant (round n starts with variant n mod size), so that no
     *               variant always runs first
     */
    public <V> Rounds run(int warm, int timed, List<V> variants, boolean rotate, Body<V> body) throws Exception {
        for (int i = -warm; i < timed; i++) {
            Round round = new Round(i, i + warm);
            int first = rotate ? Math.floorMod(i, variants.size()) : 0;
            for (int j = 0; j < variants.size(); j++) {
                body.run(round, variants.get((first + j) % variants.size()));
            }
        }
        return this;
    }

    /**
     * @return the order in which {@code count} variants take their turn in {@code round} when the order rotates (as
     *         {@link #run} with {@code rotate}), for a round body that runs several variants itself
     */
    public static int[] turns(Round round, int count) {
        int first = Math.floorMod(round.number(), count);
        int[] order = new int[count];
        for (int j = 0; j < count; j++) {
            order[j] = (first + j) % count;
        }
        return order;
    }

    /** Keeps {@code ms} under {@code key} when {@code round} is timed. */
    public void record(Round round, String key, double ms) {
        if (round.timed()) {
            this.ms.computeIfAbsent(key, k -> new ArrayList<>()).add(ms);
        }
    }

    /** @return the timings kept under {@code key} (empty when none) */
    public List<Double> get(String key) {
        return ms.getOrDefault(key, List.of());
    }
}
