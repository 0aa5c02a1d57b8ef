package dev.esm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.junit5.ThrowawayDomain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The built {@code esm.jar} as a real process on the real libvirtd: the shell and {@code -f -} on standard input,
 * and Ctrl-C (SIGINT) in the middle of a 512 MiB merge, after which every surviving snapshot and the current state
 * must read exactly what was written into them (qemu-io patterns).
 */
class EsmProcessIT {
    static final String URI = System.getenv().getOrDefault("ESM_TEST_URI", "qemu:///system");
    static final Path JAR = Path.of("target", "esm.jar").toAbsolutePath();
    ThrowawayDomain lab;

    @AfterEach
    void cleanUp() {
        if (lab != null) {
            lab.close();
        }
    }

    private static String esm(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        String[] all = new String[args.length + 1];
        all[0] = "--uri=" + URI;
        System.arraycopy(args, 0, all, 1, args.length);
        int code = EsmCli.run(all, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        assertEquals(0, code, String.join(" ", args) + ": " + e.toString(StandardCharsets.UTF_8));
        return o.toString(StandardCharsets.UTF_8);
    }

    /** Starts {@code java -jar esm.jar} as the leader of its own process group, as a shell starts a job. */
    private static Process esmProcess(String... args) throws IOException {
        assertTrue(Files.isRegularFile(JAR), JAR + " is built by 'package' before the ITs run");
        List<String> cmd = new ArrayList<>(List.of("setsid", "java", "-jar", JAR.toString(), "--uri=" + URI));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("ESM_PROGRESS", "always");
        return pb.start();
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
        return out;
    }

    private String activeLayer() throws Exception {
        for (String line : run("virsh", "-c", URI, "domblklist", lab.name()).split("\n")) {
            String[] w = line.trim().split("\\s+", 2);
            if (w.length == 2 && w[0].equals("vda")) {
                return w[1];
            }
        }
        throw new AssertionError("no vda in " + lab.name());
    }

    private void write(String image, int pattern, String offset, String length) throws Exception {
        run("qemu-io", "-f", "qcow2", "-c", "write -P " + pattern + " " + offset + " " + length, image);
    }

    /** Reads through the image's whole backing chain; fails on the first range that does not hold its pattern. */
    private static void assertReads(String what, String image, String... patternOffsetLength) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-r", "-f", "qcow2"));
        for (String r : patternOffsetLength) {
            cmd.add("-c");
            cmd.add("read -P " + r);
        }
        cmd.add(image);
        String out = run(cmd.toArray(String[]::new));
        assertFalse(out.contains("failed") || out.contains("error"), what + " (" + image + "): " + out);
    }

    private static String imageOf(String infoJson) {
        Matcher m = Pattern.compile("\"images\":\\[\\{\"disk\":\"vda\",\"path\":\"([^\"]+)\"").matcher(infoJson);
        assertTrue(m.find(), infoJson);
        return m.group(1);
    }

    @Test
    void theShellPromptsAndRunsEveryLineOnStandardInput() throws Exception {
        lab = ThrowawayDomain.create(URI, "esm-shell");
        String d = lab.name();
        esm("setup", d, lab.folder() + "/snaps");
        Process p = esmProcess("shell");
        p.getOutputStream().write(("create " + d + " s1\nrevert " + d + " nope\n# comment\ntree " + d + "\nexit\n")
                .getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), err);
        assertTrue(out.contains("esm> created snapshot 's1'"), out);
        assertTrue(out.contains("esm> base\n+- s1 *\n"), "the shell went on after the failure: " + out);
        assertTrue(err.contains("has no snapshot 'nope'"), err);
    }

    /** Leaves what a process killed right after a create made its first overlay leaves: the journal and that file. */
    private void leaveAnUnfinishedCreate(String snapshot) {
        var storage = new dev.esm.libvirt.internal.local.LocalStorage();
        String xml = run2("virsh", "-c", URI, "dumpxml", "--inactive", "--security-info", lab.name());
        var def = dev.esm.core.xml.DomainXml.parse(xml);
        var view = new dev.esm.core.plan.DomainView(dev.esm.api.DomainState.SHUTOFF, def, java.util.Optional.empty(),
                List.of(), java.util.Optional.empty());
        var plan = dev.esm.core.plan.Planner.create(view, snapshot, "", false, storage::exists, java.time.Instant.now());
        var first = (dev.esm.core.plan.Step.CreateOverlay) plan.steps().get(0);
        var journal = dev.esm.core.plan.Journal.of(plan, java.time.Instant.parse("2026-11-27T10:00:00Z"));
        try (var host = new dev.esm.libvirt.LibvirtHost(URI, dev.esm.api.ImageAccess.LOCAL_FILES)) {
            host.stateStore().writeJournal(def.uuid(), dev.esm.core.plan.JournalXml.write(journal));
        }
        storage.createOverlay(first.path(), first.backing());
    }

    private static String run2(String... cmd) {
        try {
            return run(cmd);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void recoverSaysWhatItRecoveredAndAFailureAfterARecoveryIsOneLineOnStderr() throws Exception {
        lab = ThrowawayDomain.create(URI, "esm-recover");
        String d = lab.name();
        esm("setup", d, lab.folder() + "/snaps");
        java.util.Set<String> before = files(lab.folder());
        leaveAnUnfinishedCreate("s9");
        Process p = esmProcess("recover", d);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), err);
        assertEquals("'" + d + "': the unfinished create of s9 (started 2026-11-27T10:00:00Z) was undone\n", out);
        assertEquals("", err, "nothing but the result");
        assertEquals(before, files(lab.folder()), "the overlay it had made is gone");
        leaveAnUnfinishedCreate("s9");
        p = esmProcess("delete", d, "nosuch");
        err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(3, p.waitFor(), err);
        assertEquals(1, err.lines().count(), "one line, no log of the recovery before it: " + err);
        assertTrue(err.contains("nosuch"), err);
        assertEquals(before, files(lab.folder()));
        assertEquals("'" + d + "' has no unfinished operation\n", esm("recover", d));
    }

    private static java.util.Set<String> files(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(Path::toString).collect(java.util.stream.Collectors.toSet());
        }
    }

    @Test
    void dashFDashReadsCommandsFromStandardInputAndStopsAtTheFirstFailure() throws Exception {
        lab = ThrowawayDomain.create(URI, "esm-stdin");
        String d = lab.name();
        Process p = esmProcess("-f", "-");
        p.getOutputStream().write(("setup " + d + " " + lab.folder() + "/snaps\ncreate " + d + " 'bad name'\n"
                + "create " + d + " s1\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(4, p.waitFor(), err);
        assertTrue(err.startsWith("esm: stdin:2: "), err);
        assertEquals("base *\n", esm("tree", d));
    }

    /**
     * s1 holds 0x41 in its first MiB, s2 0x42 over 512 MiB, the current state 0x43 in its first MiB. Deleting s1, or
     * committing base..s1, merges s2's 512 MiB into s1's image.
     */
    private void labWith512MiB() throws Exception {
        lab = ThrowawayDomain.create(URI, "esm-sigint", 1, 1L << 30);
        String d = lab.name();
        esm("setup", d, lab.folder() + "/snaps");
        write(activeLayer(), 0x41, "0", "1M");
        esm("create", d, "s1");
        write(activeLayer(), 0x42, "0", "512M");
        esm("create", d, "s2");
        write(activeLayer(), 0x43, "0", "1M");
    }

    private Process interruptMidMerge(boolean wholeGroup, String... args) throws Exception {
        Process p = esmProcess(args);
        p.getOutputStream().close();
        InputStream err = p.getErrorStream();
        StringBuilder seen = new StringBuilder();
        for (int c; !seen.toString().contains("merging vda [") && (c = err.read()) >= 0; ) {
            seen.append((char) c);
        }
        assertTrue(p.isAlive(), "the merge was running: " + seen);
        assertTrue(p.pid() > 1);
        // "--" before a negative (process group) id: without it kill may read "-PID" as an option.
        run("kill", "-INT", "--", wholeGroup ? "-" + p.pid() : Long.toString(p.pid()));
        String rest = new String(err.readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(130, p.exitValue(), seen + rest);
        assertTrue(rest.contains("cancelling the merge"), rest);
        return p;
    }

    private void assertEverySurvivorReadsItsData() throws Exception {
        String d = lab.name();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        assertEquals(0, EsmCli.run(new String[] {"--uri=" + URI, "verify", d}, new PrintStream(OutputStream.nullOutputStream()),
                new PrintStream(e, true, StandardCharsets.UTF_8)), e.toString(StandardCharsets.UTF_8));
        String tree = esm("tree", d, "--json");
        assertTrue(tree.contains("\"name\":\"s2\""), "s2 was not being removed: " + tree);
        assertReads("base", imageOf(esm("info", d, "base", "--json")), "0 0 1M");
        if (tree.contains("\"name\":\"s1\"")) {
            assertReads("s1", imageOf(esm("info", d, "s1", "--json")), "0x41 0 1M", "0 1M 1M");
        }
        assertReads("s2", imageOf(esm("info", d, "s2", "--json")), "0x42 0 512M", "0 512M 1M");
        assertReads("the current state", activeLayer(), "0x43 0 1M", "0x42 1M 511M", "0 512M 1M");
    }

    @Test
    void sigintToTheProcessCancelsTheCommitExits130AndKeepsEverySurvivingSnapshot() throws Exception {
        labWith512MiB();
        interruptMidMerge(false, "commit", lab.name(), "base", "s1");
        assertEverySurvivorReadsItsData();
    }

    @Test
    void ctrlCToTheWholeProcessGroupDuringADeleteAlsoEndsCancelledWithEverySurvivingSnapshotIntact() throws Exception {
        labWith512MiB();
        interruptMidMerge(true, "delete", lab.name(), "s1");
        assertEverySurvivorReadsItsData();
    }
}
