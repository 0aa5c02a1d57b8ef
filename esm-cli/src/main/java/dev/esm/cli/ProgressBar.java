package dev.esm.cli;

import dev.esm.api.Progress;
import dev.esm.api.ProgressListener;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Draws one progress line per disk on a terminal (stderr), each redrawn in place: merges of several disks that
 * run at once update their own lines (ANSI cursor up/down) instead of starting a new line at every switch.
 * Thread-safe.
 */
final class ProgressBar implements ProgressListener {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private final List<String> disks = new ArrayList<>();
    private final List<Long> pcts = new ArrayList<>();

    ProgressBar(PrintStream err) {
        this.err = err;
    }

    @Override
    public synchronized void onProgress(Progress p) {
        long pct = Math.round(p.fraction() * 100);
        int i = disks.indexOf(p.disk());
        if (i < 0) {
            if (!disks.isEmpty()) {
                err.print("\n"); // the cursor rests on the last line; a new disk gets a new last line
            }
            disks.add(p.disk());
            pcts.add(-1L);
            i = disks.size() - 1;
        }
        if (pcts.get(i) == pct) {
            return;
        }
        pcts.set(i, pct);
        int up = disks.size() - 1 - i;
        StringBuilder b = new StringBuilder();
        if (up > 0) {
            b.append("\033[").append(up).append('A');
        }
        b.append('\r').append(line(p.disk(), pct)).append("\033[K");
        if (up > 0) {
            b.append("\033[").append(up).append('B');
        }
        err.print(b);
        err.flush();
    }

    static String line(String disk, long pct) {
        int filled = (int) (WIDTH * pct / 100);
        return "merging " + disk + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + pct + "%";
    }

    /** Ends the drawing: the cursor goes below the last line. */
    synchronized void done() {
        if (!disks.isEmpty()) {
            err.println();
            err.flush();
        }
    }
}
