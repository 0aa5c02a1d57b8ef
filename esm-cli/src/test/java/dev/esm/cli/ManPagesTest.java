package dev.esm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** The man pages written from the command model: structure in pure Java, rendering with groff where it is installed. */
class ManPagesTest {
    static final Map<String, String> PAGES = ManPages.pages("1.2.3", "2026-01-02");

    @Test
    void thereIsOnePagePerCommandPlusEsm1() {
        CommandSpec root = HelpTest.model();
        assertEquals(root.subcommands().size() + 1, PAGES.size(), PAGES.keySet().toString());
        assertTrue(PAGES.containsKey("esm.1"));
        for (String name : root.subcommands().keySet()) {
            assertTrue(PAGES.containsKey("esm-" + name + ".1"), name);
        }
    }

    @Test
    void everyPageHasTheManSectionsAndEveryOptionAndArgumentOfItsCommand() {
        CommandSpec root = HelpTest.model();
        check("esm.1", root);
        for (CommandLine sub : root.subcommands().values()) {
            check("esm-" + sub.getCommandName() + ".1", sub.getCommandSpec());
        }
        String esm = PAGES.get("esm.1");
        for (String name : root.subcommands().keySet()) {
            assertTrue(esm.contains("\\fB" + ManPages.escape(name) + "\\fR\n"), "esm.1 lists " + name);
            assertTrue(esm.contains("\\fBesm\\-" + ManPages.escape(name) + "\\fR(1)"), "esm.1 refers to " + name);
        }
        assertTrue(esm.contains(".SH COMMANDS\n") && esm.contains(".SH ENVIRONMENT\n"), esm);
    }

    private static void check(String file, CommandSpec c) {
        String page = PAGES.get(file);
        String title = file.substring(0, file.length() - 2).toUpperCase(java.util.Locale.ROOT).replace("-", "\\-");
        assertTrue(page.contains("\n.TH \"" + title + "\" 1 \"2026\\-01\\-02\" \"esm 1.2.3\" \"ESM Manual\"\n"), page);
        for (String section : List.of("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "SEE ALSO")) {
            assertTrue(page.contains("\n.SH " + section + "\n"), file + " has no " + section);
        }
        String synopsis = section(page, "SYNOPSIS");
        String options = section(page, "OPTIONS");
        for (OptionSpec o : c.options()) {
            assertTrue(synopsis.contains("[\\fB" + ManPages.escape(o.shortestName()) + "\\fR"), file + " synopsis: "
                    + o.longestName());
            for (String n : o.names()) {
                assertTrue(options.contains("\\fB" + ManPages.escape(n) + "\\fR"), file + ": " + n);
            }
            assertTrue(options.contains(ManPages.escape(o.description()[0])), file + ": " + o.longestName());
        }
        for (PositionalParamSpec p : c.positionalParameters()) {
            String label = "\\fI" + ManPages.escape(p.paramLabel()) + "\\fR";
            assertTrue(synopsis.contains(label), file + " synopsis: " + p.paramLabel());
            assertTrue(section(page, "ARGUMENTS").contains(label + "\n" + ManPages.escape(p.description()[0])),
                    file + ": " + p.paramLabel());
        }
        assertTrue(section(page, "EXIT STATUS").contains(".B 130\ncancelled or interrupted (Ctrl\\-C)"), file);
        for (String line : page.split("\n")) {
            // Text lines never start with a control character by accident; only macros do.
            assertFalse(line.startsWith("'"), file + ": " + line);
            assertTrue(!line.startsWith(".") || line.matches("\\.(\\\\\"|TH|SH|PP|TP|B|ad)( .*)?"),
                    file + ": unexpected request " + line);
        }
    }

    private static String section(String page, String name) {
        int start = page.indexOf("\n.SH " + name + "\n");
        assertTrue(start >= 0, name);
        int end = page.indexOf("\n.SH ", start + 1);
        return page.substring(start, end < 0 ? page.length() : end);
    }

    @Test
    void escapingKeepsBackslashesHyphensAndLeadingDotsLiteral() {
        assertEquals("\\e\\-x", ManPages.escape("\\-x"));
        assertEquals("\\&.hidden\n\\&'quote", ManPages.escape(".hidden\n'quote"));
    }

    @Test
    void theSameModelWritesTheSameBytes() {
        assertEquals(PAGES, ManPages.pages("1.2.3", "2026-01-02"));
    }

    @Test
    void mainWritesThePagesIntoTheFolder(@TempDir Path dir) throws IOException {
        ManPages.main(new String[] {dir.resolve("man1").toString(), "1.2.3", "2026-01-02T00:00:00Z"});
        for (Map.Entry<String, String> p : PAGES.entrySet()) {
            assertEquals(p.getValue(), Files.readString(dir.resolve("man1").resolve(p.getKey())));
        }
    }

    /**
     * Rendering with groff's warnings on. groff is part of the test set-up (scripts/libvirt-up.sh installs
     * groff-base), so a missing groff fails here rather than skipping the check.
     */
    @Test
    void groffRendersEveryPageWithoutWarnings(@TempDir Path dir) throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/groff")), "groff is not installed: run scripts/libvirt-up.sh"
                + " (or apt-get install groff-base)");
        for (Map.Entry<String, String> p : PAGES.entrySet()) {
            Path f = dir.resolve(p.getKey());
            Files.writeString(f, p.getValue());
            Process groff = new ProcessBuilder("/usr/bin/groff", "-man", "-Tutf8", "-ww", f.toString())
                    .redirectErrorStream(false).start();
            String text = new String(groff.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String warnings = new String(groff.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(groff.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, groff.exitValue(), p.getKey() + ": " + warnings);
            assertEquals("", warnings, p.getKey());
            String plain = text.replaceAll(".\b", "");
            assertTrue(plain.contains("SYNOPSIS") && plain.contains("EXIT STATUS"), plain);
        }
        String create = new String(new ProcessBuilder("/usr/bin/groff", "-man", "-Tutf8", dir.resolve("esm-create.1")
                .toString()).start().getInputStream().readAllBytes(), StandardCharsets.UTF_8).replaceAll(".\b", "");
        assertTrue(create.contains("-d, --description=TEXT"), create);
    }
}
