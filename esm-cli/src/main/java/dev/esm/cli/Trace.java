package dev.esm.cli;

/**
 * Start-up tracing for measuring where a one-shot command's time goes: with {@code ESM_TRACE=1}, each phase prints
 * its time since the JVM started on stderr ({@code esm: 312 ms connected}). Off, it costs one environment read.
 */
final class Trace {
    private static final boolean ON = "1".equals(System.getenv("ESM_TRACE"));

    private Trace() {
    }

    static void mark(String phase) {
        if (ON) {
            // Loads java.management (some 30 ms) the first time: the marks after the first are the honest ones.
            System.err.println("esm: " + java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime()
                    + " ms " + phase);
        }
    }
}
