package dev.esm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.esm.api.Progress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The progress bar: one line per disk, redrawn in place. */
class ProgressBarTest {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    String drawn() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void oneDiskIsRedrawnOnOneLine() {
        bar.onProgress(new Progress("vda", 0, 100));
        bar.onProgress(new Progress("vda", 50, 100));
        bar.onProgress(new Progress("vda", 50, 100));
        bar.done();
        assertEquals("\r" + ProgressBar.line("vda", 0) + "\033[K\r" + ProgressBar.line("vda", 50) + "\033[K\n",
                drawn());
    }

    @Test
    void parallelDisksKeepOneLineEachInsteadOfANewLineAtEverySwitch() {
        bar.onProgress(new Progress("vda", 10, 100));
        bar.onProgress(new Progress("vdb", 20, 100));
        bar.onProgress(new Progress("vda", 30, 100));
        bar.onProgress(new Progress("vdb", 40, 100));
        bar.done();
        assertEquals("\r" + ProgressBar.line("vda", 10) + "\033[K"
                + "\n\r" + ProgressBar.line("vdb", 20) + "\033[K"
                + "\033[1A\r" + ProgressBar.line("vda", 30) + "\033[K\033[1B"
                + "\r" + ProgressBar.line("vdb", 40) + "\033[K\n", drawn());
        assertEquals(2, drawn().chars().filter(c -> c == '\n').count(), "two lines, however often they switch");
    }

    @Test
    void nothingIsDrawnWithoutProgress() {
        bar.done();
        assertEquals("", drawn());
    }
}
