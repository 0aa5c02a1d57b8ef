package dev.esm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How batch and shell lines are split and run, without libvirt. */
class BatchTest {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final Session session = new Session(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), false);
    final List<List<String>> ran = new ArrayList<>();

    @Test
    void linesAreSplitLikeAShellSplitsThem() throws Exception {
        assertEquals(List.of("create", "web", "s1", "-d", "before the upgrade"),
                Batch.split("  create web s1 -d 'before the upgrade'  "));
        assertEquals(List.of("-d", "say \"hi\" \\ there"), Batch.split("-d \"say \\\"hi\\\" \\\\ there\""));
        assertEquals(List.of("a b", "c'd"), Batch.split("a\\ b c\\'d"));
        assertEquals(List.of("ab", "x#y"), Batch.split("a'b' x#y # a comment"));
        assertEquals(List.of(""), Batch.split("''"));
    }

    @Test
    void blankAndCommentLinesAreEmpty() throws Exception {
        assertEquals(List.of(), Batch.split(""));
        assertEquals(List.of(), Batch.split("   \t "));
        assertEquals(List.of(), Batch.split("# tree web"));
    }

    @Test
    void anUnterminatedQuoteIsASyntaxError() {
        assertThrows(Batch.SyntaxException.class, () -> Batch.split("create web 's1"));
        assertThrows(Batch.SyntaxException.class, () -> Batch.split("create web \"s1"));
    }

    private int runLines(String text, boolean keepGoing, int... codes) throws Exception {
        return Batch.runLines("script", new BufferedReader(new StringReader(text)), session, keepGoing, words -> {
            ran.add(words);
            return codes[ran.size() - 1];
        });
    }

    @Test
    void aBatchStopsAtTheFirstFailureWithItsExitCode() throws Exception {
        assertEquals(3, runLines("tree a\n\n# skipped\nrevert a nope\ntree a\n", false, 0, 3, 0));
        assertEquals(List.of(List.of("tree", "a"), List.of("revert", "a", "nope")), ran);
        assertEquals("script:4: ", session.where, "errors name the file and line");
    }

    @Test
    void keepGoingRunsEveryLineAndReturnsTheFirstFailure() throws Exception {
        assertEquals(4, runLines("a\nb\nc\nd\n", true, 0, 4, 3, 0));
        assertEquals(4, ran.size());
    }

    @Test
    void anInterruptedCommandEndsTheBatchEvenWithKeepGoing() throws Exception {
        assertEquals(130, runLines("a\nb\nc\n", true, 0, 130, 0));
        assertEquals(2, ran.size());
    }

    @Test
    void exitEndsABatchAndALeadingEsmWordIsAllowed() throws Exception {
        assertEquals(0, runLines("esm tree a\nexit\ntree b\n", false, 0, 0));
        assertEquals(List.of(List.of("tree", "a")), ran);
    }

    @Test
    void aLineThatCannotBeSplitFailsWithUsageExitCode() throws Exception {
        assertEquals(2, runLines("tree 'a\ntree b\n", false));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("esm: script:1: unterminated"), err.toString());
    }

    @Test
    void theShellPromptsRunsEachLineAndGoesOnAfterAFailure() throws Exception {
        int code = Batch.shell(new BufferedReader(new StringReader("tree a\nrevert a nope\n\nquit\ntree c\n")),
                session, words -> {
                    ran.add(words);
                    return ran.size() == 2 ? 3 : 0;
                });
        assertEquals(0, code);
        assertEquals(2, ran.size());
        String shown = out.toString(StandardCharsets.UTF_8);
        assertEquals(4, shown.split("esm> ", -1).length - 1, shown);
    }
}
