/**
 * The harness every benchmark runs on: its command line ({@link dev.esm.bench.harness.Args}), timing and medians
 * ({@link dev.esm.bench.harness.Timing}), interleaved rounds with warm-up ({@link dev.esm.bench.harness.Rounds}), and
 * the output, a text table and a JSON file of the same rows ({@link dev.esm.bench.harness.Report},
 * {@link dev.esm.bench.harness.Stats}).
 */
package dev.esm.bench.harness;
