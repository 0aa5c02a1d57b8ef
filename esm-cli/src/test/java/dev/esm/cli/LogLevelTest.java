package dev.esm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Which of ESM's log lines reach stderr: the level the tool sets before its first logger is made. */
class LogLevelTest {
    @Test
    void warningsShowByDefault() {
        assertEquals("warn", EsmCli.logLevel(new String[] {"create", "web", "s1"}));
    }

    @Test
    void quietKeepsWarningsOffStderrButNotErrors() {
        assertEquals("error", EsmCli.logLevel(new String[] {"-q", "-f", "-"}));
        assertEquals("error", EsmCli.logLevel(new String[] {"create", "--quiet", "web", "s1"}));
    }

    @Test
    void verboseWinsOverQuiet() {
        assertEquals("info", EsmCli.logLevel(new String[] {"-q", "-v", "list", "web"}));
    }
}
