package dev.esm.bench.harness;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Timing one action, and the median every benchmark compares rows with. */
public final class Timing {
    private Timing() {
    }

    /** Something timed; may throw. */
    @FunctionalInterface
    public interface Action {
        /** Runs it once. */
        void run() throws Exception;
    }

    /** @return how long {@code a} took, in milliseconds */
    public static double time(Action a) throws Exception {
        long t0 = System.nanoTime();
        a.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    /** @return the median of the timings (the nearest rank: the upper middle one of an even count), as in {@link Stats} */
    public static double median(List<Double> ms) {
        List<Double> s = new ArrayList<>(ms);
        Collections.sort(s);
        return Stats.pct(s, 50);
    }
}
