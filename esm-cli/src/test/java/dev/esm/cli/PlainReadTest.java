package dev.esm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code esm tree} and {@code esm list} run without picocli ({@link PlainRead}) print, fail and exit as picocli's run of
 * the same command line does; any other shape of command line is left to picocli. On ESM in memory
 * ({@link InMemoryProvider}).
 */
class PlainReadTest {
    static final String URI = "--uri=" + InMemoryProvider.URI;
    static final String DOM = "plain-read";

    record Run(int code, String out, String err) {
    }

    @BeforeAll
    static void domain() {
        InMemoryProvider.ESM.defineDomain(DOM).disk("vda").define();
        assertEquals(0, picocli(URI, "setup", DOM, "/esm/" + DOM).code());
        assertEquals(0, picocli(URI, "create", DOM, "s1", "-d", "first").code());
        assertEquals(0, picocli(URI, "create", DOM, "s2").code());
        assertEquals(0, picocli(URI, "revert", DOM, "s1").code());
        assertEquals(0, picocli(URI, "create", DOM, "s3").code());
    }

    static Run picocli(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = EsmCli.run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    static Run plain(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        Optional<PlainRead.Line> line = PlainRead.parse(args);
        assertTrue(line.isPresent(), String.join(" ", args));
        int code;
        try (Session s = new Session(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8), false)) {
            code = PlainRead.run(line.get(), s);
        }
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    @Test
    void treeAndListPrintWhatPicocliPrints() {
        for (List<String> args : List.of(List.of(URI, "tree", DOM), List.of(URI, "list", DOM),
                List.of(URI, "tree", "--json", DOM), List.of(URI, "list", DOM, "--json"),
                List.of("-q", "tree", URI, DOM), List.of("--uri", InMemoryProvider.URI, "-v", "list", DOM))) {
            String[] a = args.toArray(String[]::new);
            Run expected = picocli(a);
            assertEquals(0, expected.code(), expected.err());
            assertTrue(expected.out().contains("s3"), expected.out());
            assertEquals(expected, plain(a), String.join(" ", args));
        }
    }

    @Test
    void failuresSayWhatPicocliSaysWithItsExitCode() {
        for (List<String> args : List.of(List.of(URI, "tree", "no-such-domain"), List.of(URI, "list", "no\nsuch"),
                List.of("--uri=unknown:///x", "tree", DOM))) {
            String[] a = args.toArray(String[]::new);
            Run expected = picocli(a);
            assertTrue(expected.code() != 0, expected.toString());
            assertEquals(expected, plain(a), String.join(" ", args));
        }
        Run verbose = plain(URI, "-v", "tree", "no-such-domain");
        assertEquals(picocli(URI, "-v", "tree", "no-such-domain").code(), verbose.code());
        assertTrue(verbose.err().contains("\tat "), "a stack trace with -v: " + verbose.err());
    }

    @Test
    void otherCommandLinesAreLeftToPicocli() {
        for (List<String> args : List.of(List.of("tree"), List.of("tree", "--help"), List.of("tree", "-h", DOM),
                List.of("tree", DOM, DOM), List.of("--json", "tree", DOM), List.of("tree", "--json", "--json", DOM),
                List.of(URI, URI, "tree", DOM), List.of("-v", "-v", "tree", DOM), List.of("tree", "@args"),
                List.of("tree", "--", DOM), List.of("tree", "-x", DOM), List.of("--uri", "tree", DOM),
                List.of("current", DOM), List.of("tree", "list"), List.of("list", ""), List.of("-f", "x", "tree", DOM),
                List.of("tree", "--json=true", DOM), List.of("--version", "tree", DOM))) {
            assertEquals(Optional.empty(), PlainRead.parse(args.toArray(String[]::new)), args.toString());
        }
    }
}
