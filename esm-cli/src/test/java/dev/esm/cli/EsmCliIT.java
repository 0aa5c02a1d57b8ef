package dev.esm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.junit5.ThrowawayDomain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The esm tool against the real libvirtd: the original's commands, exit codes, one-line errors. */
class EsmCliIT {
    static final String URI = System.getenv().getOrDefault("ESM_TEST_URI", "qemu:///system");
    ThrowawayDomain lab;
    String out;
    String err;

    @BeforeEach
    void lab() throws Exception {
        lab = ThrowawayDomain.create(URI, "esm-cli");
    }

    @AfterEach
    void cleanUp() {
        lab.close();
    }

    private int esm(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        String[] all = new String[args.length + 1];
        all[0] = "--uri=" + URI;
        System.arraycopy(args, 0, all, 1, args.length);
        int code = EsmCli.run(all, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    void theOriginalsCommandsWorkWithTheOriginalsArgumentOrder() {
        String d = lab.name();
        assertEquals(0, esm("setup", d, lab.folder() + "/snaps"), err);
        assertEquals(0, esm("create", d, "s1", "--description", "first"), err);
        assertEquals(0, esm("create", d, "s2"), err);
        assertEquals(0, esm("revert", d, "s1"), err);
        assertEquals(0, esm("create", d, "s3"), err);
        assertEquals(0, esm("refresh", d), err);
        assertEquals(0, esm("tree", d), err);
        assertEquals("base\n+- s1\n   +- s2\n   +- s3 *\n", out);
        assertEquals(0, esm("current", d), err);
        assertEquals("s3\n", out);
        assertEquals(0, esm("list", d, "--json"), err);
        assertTrue(out.startsWith("[{\"name\":\"s1\""), out);
        assertEquals(0, esm("info", d, "s1"), err);
        assertTrue(out.contains("description: first"), out);
        assertEquals(0, esm("commit", d, "s1", "s3"), err);
        assertEquals(0, esm("delete", d, "s2"), err);
        assertEquals(0, esm("revert", d, "base"), err);
        assertEquals(0, esm("tree", d), err);
        assertEquals("base *\n+- s1\n", out);
    }

    @Test
    void memorySnapshotsAreTakenShownAndRevertedToARunningOrPausedDomain() {
        String d = lab.name();
        assertEquals(0, esm("setup", d, lab.folder() + "/snaps"), err);
        assertEquals(5, esm("create", d, "m1", "--memory"), "a shut-off domain has no memory to save");
        lab.start();
        assertEquals(0, esm("create", d, "m1", "--memory"), err);
        assertEquals(0, esm("tree", d), err);
        assertEquals("base\n+- m1 [memory] *\n", out);
        assertEquals(0, esm("info", d, "m1", "--json"), err);
        assertTrue(out.contains("\"memory\":true") && out.contains("\"memorySize\":"), out);
        assertEquals(0, esm("info", d, "m1"), err);
        assertTrue(out.contains("memory:      " + lab.folder() + "/snaps/disks/m1."), out);
        assertEquals(0, esm("revert", d, "m1", "--running"), err);
        assertEquals(0, esm("revert", d, "m1", "--paused"), err);
        try (var esm = dev.esm.api.SnapshotManager.connect(URI)) {
            assertEquals(dev.esm.api.DomainState.PAUSED, esm.domain(d).state());
        }
        assertEquals(4, esm("revert", d, "base", "--running"), "the base holds no memory");
    }

    @Test
    void dryRunPrintsThePlanAndChangesNothing() {
        String d = lab.name();
        assertEquals(0, esm("setup", d, lab.folder() + "/snaps", "--dry-run"), err);
        assertTrue(out.contains("MOVE_IMAGE"), out);
        assertEquals(0, esm("tree", d), err);
        assertTrue(out.contains("no snapshots"), out);
    }

    @Test
    void failuresGiveOneLineOnStderrAndANonZeroExitCode() {
        String d = lab.name();
        assertEquals(3, esm("revert", "no-such-domain-" + d, "s1"));
        assertTrue(err.startsWith("esm: ") && err.strip().lines().count() == 1, err);
        assertFalse(err.contains("\tat "), "no stack trace without --verbose");
        assertEquals(4, esm("create", d, "bad name"));
        assertEquals(4, esm("revert", d, "base"), "nothing froze the base yet");
        assertEquals(0, esm("create", d, "s1"));
        assertEquals(4, esm("create", d, "s1"), "exists");
        assertEquals(3, esm("revert", d, "nope"));
        lab.start();
        assertEquals(5, esm("revert", d, "s1"), "running: needs --force");
        assertEquals(0, esm("revert", d, "s1", "--force"), err);
        assertEquals(2, esm("frobnicate"));
        assertEquals(0, esm("--version"));
        assertTrue(out.startsWith("esm "), out);
    }

    @Test
    void aBatchRunsOneCommandALineOnOneConnectionAndStopsAtTheFirstFailure() throws Exception {
        String d = lab.name();
        Path script = lab.folder().resolve("script.esm");
        Files.writeString(script, "# set up and take two snapshots\n"
                + "setup " + d + " '" + lab.folder() + "/snaps'\n"
                + "\n"
                + "create " + d + " s1 -d \"before the upgrade\"\n"
                + "esm create " + d + " s2\n"
                + "revert " + d + " nope\n"
                + "create " + d + " s3\n");
        assertEquals(3, esm("-f", script.toString()), "the failing line's exit code");
        assertTrue(err.startsWith("esm: " + script + ":6: "), err);
        assertEquals(0, esm("tree", d), err);
        assertEquals("base\n+- s1\n   +- s2 *\n", out, "nothing after the failure ran");
        assertEquals(0, esm("info", d, "s1"), err);
        assertTrue(out.contains("description: before the upgrade"), out);

        Files.writeString(script, "revert " + d + " nope\ncreate " + d + " s3\ntree " + d + "\n");
        assertEquals(3, esm("-f", script.toString(), "--keep-going"), "the first failure's exit code");
        assertTrue(out.endsWith("   +- s3 *\n"), out);
    }

    @Test
    void aSessionReusesOneConnectionPerUri() {
        try (Session s = new Session(System.out, System.err, false)) {
            assertTrue(s.manager(URI) == s.manager(URI));
        }
    }

    @Test
    void changingCommandsPrintWhatTheyDidAsJson() {
        String d = lab.name();
        assertEquals(0, esm("setup", d, lab.folder() + "/snaps", "--json"), err);
        assertTrue(out.startsWith("{\"operation\":\"setup\",\"domain\":\"" + d + "\",\"folder\":"), out);
        assertTrue(out.contains("\"current\":{\"name\":\"base\""), out);
        assertEquals(0, esm("create", d, "s1", "--json"), err);
        assertTrue(out.contains("\"created\":{\"name\":\"s1\"") && out.contains("\"current\":\"s1\""), out);
        assertEquals(0, esm("create", d, "s2", "--json"), err);
        assertEquals(0, esm("delete", d, "s1", "--json"), err);
        assertTrue(out.contains("\"removed\":[\"s1\"]"), out);
        assertTrue(out.contains("\"merged\":[{\"kind\":\"MERGE\""), "s2 stood on s1 alone: " + out);
        assertTrue(out.contains("\"snapshots\":[\"s2\"]") && out.contains("\"current\":{\"name\":\"s2\""), out);
        assertEquals(0, esm("revert", d, "base", "--json"), err);
        assertTrue(out.startsWith("{\"operation\":\"revert\"") && out.contains("\"current\":{\"name\":\"base\""),
                out);
        assertEquals(0, esm("recover", d, "--json"), err);
        assertEquals("{\"operation\":\"recover\",\"domain\":\"" + d + "\",\"recovered\":false}\n", out);
    }

    @Test
    void dryRunPlansAsJsonNameEachStepsKindPathsAndMergeBytes() {
        String d = lab.name();
        assertEquals(0, esm("setup", d, lab.folder() + "/snaps"), err);
        assertEquals(0, esm("create", d, "s1"), err);
        assertEquals(0, esm("create", d, "s2"), err);
        assertEquals(0, esm("delete", d, "s1", "--dry-run", "--json"), err);
        assertTrue(out.startsWith("{\"operation\":\"delete\",\"domain\":\"" + d + "\",\"dryRun\":true,\"steps\":["),
                out);
        assertTrue(out.contains("{\"kind\":\"MERGE\""), out);
        assertTrue(out.matches("(?s).*\"disk\":\"vd[ab]\",\"top\":\"/[^\"]+\",\"base\":\"/[^\"]+\",\"live\":false,"
                + "\"pivot\":false,\"bytes\":[0-9]+.*"), "the images are local, so the bytes are known: " + out);
        assertEquals(0, esm("tree", d), err);
        assertEquals("base\n+- s1\n   +- s2 *\n", out, "a dry run changes nothing");
    }
}
