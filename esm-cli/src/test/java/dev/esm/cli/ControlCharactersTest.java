package dev.esm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A name or path with a control character in it comes out escaped ({@code x\u005Cu000ay} for {@code x}, line feed,
 * {@code y}) in the one {@code esm:} line of every command that takes one, whichever of ESM's checks refuses it. The
 * tool runs on ESM in memory ({@link InMemoryProvider}).
 */
class ControlCharactersTest {
    static final String BAD = "x\ny";
    static final String SHOWN = "x\\u000ay";
    static final AtomicInteger DOMAINS = new AtomicInteger();

    String dom;
    String out;
    String err;

    @BeforeEach
    void domain() {
        dom = "cc" + DOMAINS.incrementAndGet();
        InMemoryProvider.ESM.defineDomain(dom).disk("vda").define();
        assertEquals(0, esm("setup", dom, "/esm/" + dom), err);
        assertEquals(0, esm("create", dom, "s1"), err);
        assertEquals(0, esm("create", dom, "s2"), err);
    }

    private int esm(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        String[] all = new String[args.length + 1];
        all[0] = "--uri=" + InMemoryProvider.URI;
        System.arraycopy(args, 0, all, 1, args.length);
        int code = EsmCli.run(all, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    /** Runs the command line, which must fail with {@code code} and say so on one line showing the name escaped. */
    private void failsOnOneLine(int code, String... args) {
        assertEquals(code, esm(args), String.join(" ", args) + ": " + err);
        assertTrue(err.startsWith("esm: ") && err.endsWith("\n"), err);
        assertEquals(1, err.split("\n", -1).length - 1, "one line: " + err);
        assertFalse(err.chars().anyMatch(c -> c != '\n' && Character.isISOControl(c)), err);
        assertTrue(err.contains(SHOWN), "the name shown escaped: " + err);
    }

    @Test
    void create() {
        failsOnOneLine(4, "create", dom, BAD);
        assertTrue(err.contains("snapshot name '" + SHOWN + "' contains '\\u000a'"), err);
        failsOnOneLine(3, "create", dom + BAD, "s3");
    }

    @Test
    void revert() {
        failsOnOneLine(3, "revert", dom, BAD);
        assertTrue(err.contains("domain '" + dom + "' has no snapshot '" + SHOWN + "'"), err);
        failsOnOneLine(3, "revert", dom + BAD, "s1");
    }

    @Test
    void delete() {
        failsOnOneLine(3, "delete", dom, BAD);
        assertTrue(err.contains("domain '" + dom + "' has no snapshot '" + SHOWN + "'"), err);
        failsOnOneLine(3, "delete", dom + BAD, "s1");
    }

    @Test
    void commit() {
        failsOnOneLine(3, "commit", dom, BAD, "s2");
        failsOnOneLine(3, "commit", dom, "s1", BAD);
        failsOnOneLine(3, "commit", dom + BAD, "s1", "s2");
    }

    @Test
    void info() {
        failsOnOneLine(3, "info", dom, BAD);
        failsOnOneLine(3, "info", dom + BAD, "s1");
    }

    @Test
    void setup() {
        String fresh = dom + "-fresh";
        InMemoryProvider.ESM.defineDomain(fresh).disk("vda").define();
        failsOnOneLine(4, "setup", fresh, "/esm/" + BAD);
        failsOnOneLine(3, "setup", dom + BAD, "/esm/x");
    }

    @Test
    void theCommandsThatTakeOnlyTheDomain() {
        for (String command : new String[] {"refresh", "list", "tree", "current", "verify", "recover"}) {
            failsOnOneLine(3, command, dom + BAD);
        }
    }

    @Test
    void dryRunsAndJsonToo() {
        failsOnOneLine(3, "delete", dom, BAD, "--dry-run");
        failsOnOneLine(3, "revert", dom, BAD, "--json");
        failsOnOneLine(4, "create", dom, BAD, "--dry-run", "--json");
    }

    @Test
    void aNameWithoutControlCharactersIsShownAsItIs() {
        assertEquals(3, esm("revert", dom, "no such"));
        assertTrue(err.contains("has no snapshot 'no such'"), err);
    }
}
