package dev.esm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/** Help and completion: no libvirt needed, nothing connects. */
class HelpTest {
    String out;
    String err;

    int esm(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = EsmCli.run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    static CommandSpec model() {
        return EsmCli.commandLine(new Session(System.out, System.err, false)).getCommandSpec();
    }

    @Test
    void everySubcommandAnswersHelpAndHelpCmdWithExitZero() {
        for (String name : model().subcommands().keySet()) {
            assertEquals(0, esm(name, "--help"), name + ": " + err);
            assertTrue(out.contains("Usage: esm " + name), out);
            assertEquals(0, esm("help", name), name + ": " + err);
            assertTrue(out.contains("Usage: esm " + name), out);
        }
    }

    @Test
    void deleteHelpNoLongerComplainsAboutMissingParameters() {
        assertEquals(0, esm("delete", "--help"));
        assertEquals("", err);
        assertTrue(out.contains("<domain>") && out.contains("the snapshot to delete"), out);
    }

    @Test
    void everyParameterAndOptionHasADescription() {
        for (CommandSpec c : model().subcommands().values().stream().map(CommandLine::getCommandSpec).toList()) {
            for (ArgSpec a : c.args()) {
                String d = String.join(" ", a.description());
                assertFalse(d.isBlank(), c.name() + ": " + (a.isOption() ? ((CommandLine.Model.OptionSpec) a)
                        .longestName() : a.paramLabel()) + " has no description");
            }
        }
    }

    @Test
    void theTopLevelHelpListsEveryCommandOnOneLine() {
        assertEquals(0, esm("--help"));
        String list = out.substring(out.indexOf("Commands:"), out.indexOf("Exit codes:"));
        for (String name : model().subcommands().keySet()) {
            assertTrue(list.lines().anyMatch(l -> l.startsWith("  " + name + " ")), name + " in\n" + list);
        }
        assertEquals(model().subcommands().size(), list.strip().lines().count() - 1, "one line each:\n" + list);
    }

    @Test
    void completionPrintsPicocliScriptForBashAndZsh() {
        assertEquals(0, esm("completion"));
        assertTrue(out.startsWith("#!/usr/bin/env bash"), out);
        assertTrue(out.contains("complete -F _complete_esm") && out.contains("bashcompinit"), "bash and zsh");
        assertTrue(out.contains("revert") && out.contains("--dry-run"), "commands and options");
    }

    @Test
    void anUnknownCommandIsBadUsage() {
        assertEquals(2, esm("frobnicate"));
    }

    @Test
    void aOneShotCommandBuildsTheModelOfThatCommandOnly() {
        assertEquals("tree", EsmCli.only(new String[] {"--uri", "qemu:///system", "-q", "tree", "web"}));
        assertEquals("revert", EsmCli.only(new String[] {"--uri=qemu:///system", "revert", "web", "s1", "-f"}));
        assertNull(EsmCli.only(new String[] {"help", "tree"}), "help lists every command");
        assertNull(EsmCli.only(new String[] {"completion"}));
        assertNull(EsmCli.only(new String[] {"shell"}));
        assertNull(EsmCli.only(new String[] {"-f", "script.esm"}), "a batch may run any command");
        assertNull(EsmCli.only(new String[] {"--file=script.esm"}));
        assertNull(EsmCli.only(new String[] {"--help"}));
        assertEquals("", EsmCli.only(new String[] {"--version"}), "the version needs no subcommand");
        assertNull(EsmCli.only(new String[] {"frobnicate"}), "picocli reports the unknown command");
        var cl = EsmCli.commandLine(new Session(System.out, System.err, false), "tree");
        assertEquals(java.util.Set.of("tree"), cl.getSubcommands().keySet());
        assertEquals(0, esm("tree", "--help"));
    }
}
