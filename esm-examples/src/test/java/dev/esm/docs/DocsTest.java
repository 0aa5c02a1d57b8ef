package dev.esm.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation holds together: every relative link in README.md and docs/**.md names a file that exists and, with
 * a {@code #fragment}, a heading of that file with that GitHub-style anchor; and every Java sample in them is compiled
 * ({@link DocSamples} holds each one). Reads the files of the repository this module is in.
 */
class DocsTest {
    /** [text](target "title"), ![alt](target); the text may hold [brackets] and line breaks. */
    private static final Pattern INLINE_LINK =
            Pattern.compile("!?\\[(?:[^\\]\\[]|\\[[^\\]]*])*]\\(\\s*<?([^)\\s>]*)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    /** [label]: target "title" */
    private static final Pattern REFERENCE_LINK =
            Pattern.compile("(?m)^ {0,3}\\[[^\\]]+]:[ \\t]*<?(\\S+?)>?(?:[ \\t]+\"[^\"]*\")?[ \\t]*$");
    private static final Pattern HEADING = Pattern.compile("^\\s{0,3}(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern CODE_SPAN = Pattern.compile("(`+)(.+?)\\1");

    @Test
    void everyRelativeLinkResolvesToAFileAndAHeading() throws IOException {
        Path root = repositoryRoot();
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path doc : documents(root)) {
            for (String target : links(Files.readString(doc, StandardCharsets.UTF_8))) {
                if (target.isEmpty() || target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
                    continue;   // http:, https:, mailto:, ...
                }
                checked++;
                String problem = check(root, doc, target);
                if (problem != null) {
                    broken.add(root.relativize(doc) + ": (" + target + ") " + problem);
                }
            }
        }
        assertTrue(checked > 50, "links found: " + checked);
        assertEquals(List.of(), broken, "broken links");
    }

    @Test
    void everyJavaSampleIsCompiledInDocSamples() throws IOException {
        Path root = repositoryRoot();
        List<String> samples = normalised(Files.readString(
                root.resolve("esm-examples/src/test/java/dev/esm/docs/DocSamples.java"), StandardCharsets.UTF_8));
        List<String> missing = new ArrayList<>();
        int blocks = 0;
        for (Path doc : documents(root)) {
            for (String block : javaBlocks(Files.readString(doc, StandardCharsets.UTF_8))) {
                blocks++;
                if (Collections.indexOfSubList(samples, normalised(block)) < 0) {
                    missing.add(root.relativize(doc) + ":\n" + block);
                }
            }
        }
        assertTrue(blocks >= 5, "java blocks found: " + blocks);
        assertEquals(List.of(), missing, "Java samples not in DocSamples.java (so not compiled)");
    }

    @Test
    void theSlugsAreGitHubs() {
        assertEquals("several-disks-at-once-and-a-fleet-of-domains-disks-and-fleet-sections",
                slug("Several disks at once, and a fleet of domains (`disks` and `fleet` sections)"));
        assertEquals("jnas-version", slug("JNA's version"));
        assertEquals("05-remote-hosts", slug("05. Remote hosts"));
        assertEquals("the-esm_test-kit", slug("The `esm_test` kit"));
        assertEquals("links-to-a-page", slug("[Links](x.md) to a page"));
        assertFalse(slug("Crash safety").contains(" "));
    }

    /** @return null when {@code target}, a link in {@code doc}, resolves; else what is wrong */
    private static String check(Path root, Path doc, String target) throws IOException {
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String fragment = hash < 0 ? null : target.substring(hash + 1);
        Path resolved = file.isEmpty() ? doc : doc.getParent().resolve(decode(file)).normalize();
        if (!resolved.startsWith(root)) {
            return "points outside the repository";
        }
        if (!Files.exists(resolved)) {
            return "no such file";
        }
        if (fragment == null || fragment.isEmpty() || !resolved.toString().endsWith(".md")) {
            return null;
        }
        Set<String> anchors = anchors(Files.readString(resolved, StandardCharsets.UTF_8));
        return anchors.contains(decode(fragment)) ? null : "no heading with the anchor #" + fragment;
    }

    private static String decode(String s) {
        return java.net.URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** @return the anchors GitHub gives the headings of a Markdown text (repeated ones numbered -1, -2, ...) */
    static Set<String> anchors(String markdown) {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : outsideFences(markdown)) {
            Matcher m = HEADING.matcher(line);
            if (m.matches()) {
                String base = slug(m.group(2));
                int n = seen.merge(base, 1, Integer::sum) - 1;
                anchors.add(n == 0 ? base : base + "-" + n);
            }
        }
        return anchors;
    }

    /** @return GitHub's anchor for a heading's text: lower case, punctuation dropped, blanks to hyphens */
    static String slug(String heading) {
        String text = heading.replaceAll("!?\\[([^\\]]*)]\\([^)]*\\)", "$1");   // a link counts by its text
        text = text.toLowerCase(Locale.ROOT).trim();
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (Character.isLetterOrDigit(c) || c == '_' || c == '-') {
                out.appendCodePoint(c);
            } else if (c == ' ') {
                out.append('-');
            }
        });
        return out.toString();
    }

    private static List<String> links(String markdown) {
        List<String> found = new ArrayList<>();
        // Whole text, not line by line: a link's text may be wrapped onto the next line.
        String prose = String.join("\n", outsideFences(markdown).stream()
                .map(line -> CODE_SPAN.matcher(line).replaceAll("")).toList());
        Matcher m = INLINE_LINK.matcher(prose);
        while (m.find()) {
            found.add(m.group(1));
        }
        Matcher r = REFERENCE_LINK.matcher(prose);
        while (r.find()) {
            found.add(r.group(1));
        }
        return found;
    }

    /** @return the lines of a Markdown text that are not inside fenced code blocks */
    private static List<String> outsideFences(String markdown) {
        List<String> lines = new ArrayList<>();
        String fence = null;
        for (String line : markdown.split("\n", -1)) {
            String t = line.stripLeading();
            if (fence == null && (t.startsWith("```") || t.startsWith("~~~"))) {
                fence = t.substring(0, 3);
            } else if (fence != null && t.startsWith(fence)) {
                fence = null;
            } else if (fence == null) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static List<String> javaBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        StringBuilder block = null;
        for (String line : markdown.split("\n", -1)) {
            String t = line.strip();
            if (block == null && t.equals("```java")) {
                block = new StringBuilder();
            } else if (block != null && t.equals("```")) {
                blocks.add(block.toString());
                block = null;
            } else if (block != null) {
                block.append(line).append('\n');
            }
        }
        return blocks;
    }

    private static List<String> normalised(String code) {
        return code.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static List<Path> documents(Path root) throws IOException {
        List<Path> docs = new ArrayList<>();
        docs.add(root.resolve("README.md"));
        try (Stream<Path> s = Files.walk(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    /** @return the repository's root: the nearest folder up from this module that holds mvnw, README.md and docs */
    static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("mvnw")) && Files.exists(p.resolve("README.md"))
                    && Files.isDirectory(p.resolve("docs"))) {
                return p;
            }
        }
        throw new UncheckedIOException(new IOException("no repository root above " + Path.of("").toAbsolutePath()));
    }
}
