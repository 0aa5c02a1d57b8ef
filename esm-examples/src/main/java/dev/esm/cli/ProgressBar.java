package dev.esm.cli;

import dev.esm.api.Progress;
import dev.esm.api.ProgressListener;
import java.io.PrintStream;

/** Draws a one-line progress bar per disk on a terminal (stderr), redrawn in place. Thread-safe. */
final class ProgressBar implements ProgressListener {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private String lastDisk;
    private long lastPct = -1;

    ProgressBar(PrintStream err) {
        this.err = err;
    }

    @Override
    public synchronized void onProgress(Progress p) {
        long pct = Math.round(p.fraction() * 100);
        if (p.disk().equals(lastDisk) && pct == lastPct) {
            return;
        }
        if (lastDisk != null && !p.disk().equals(lastDisk)) {
            err.println();
        }
        lastDisk = p.disk();
        lastPct = pct;
        int filled = (int) (WIDTH * pct / 100);
        err.print("\rmerging " + p.disk() + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + pct + "%");
        err.flush();
    }

    synchronized void done() {
        if (lastDisk != null) {
            err.println();
        }
    }
}
