package dev.esm.api;

/**
 * How far one merge has got.
 *
 * @param disk the disk's target, e.g. {@code vda}
 * @param done the units done so far
 * @param total the units to do; may grow while a running guest writes, and is 0 before the job knows
 */
public record Progress(String disk, long done, long total) {

    /** @return done / total between 0 and 1, or 0 when the total is unknown */
    public double fraction() {
        return total <= 0 ? 0 : Math.min(1.0, (double) done / total);
    }
}
