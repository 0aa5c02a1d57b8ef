package dev.esm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.Operation;
import dev.esm.api.Plan;
import dev.esm.api.PlanStep;
import dev.esm.api.StepKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSON for plans: each step's kind, description and paths; merges with disk, top, base and bytes. */
class JsonTest {

    @Test
    void aMergeStepNamesItsDiskImagesAndMode() {
        String json = Json.step(new PlanStep(StepKind.MERGE,
                "live block commit of vda: /a b/top.qcow2 into /a b/base.qcow2, then pivot onto it"));
        assertEquals("{\"kind\":\"MERGE\",\"description\":\"live block commit of vda: /a b/top.qcow2 into /a b/"
                + "base.qcow2, then pivot onto it\",\"paths\":[\"/a b/top.qcow2\",\"/a b/base.qcow2\"],\"disk\":"
                + "\"vda\",\"top\":\"/a b/top.qcow2\",\"base\":\"/a b/base.qcow2\",\"live\":true,\"pivot\":true,"
                + "\"bytes\":null}", json, "bytes unknown: the images are not here");
    }

    @Test
    void otherStepsListThePathsTheyName() {
        assertTrue(Json.step(new PlanStep(StepKind.MOVE_IMAGE, "place /x/a.qcow2 at /y/disks/a.base (hard link, or "
                + "fsynced and verified copy; the original is removed only at the end)"))
                .contains("\"paths\":[\"/x/a.qcow2\",\"/y/disks/a.base\"]"));
        assertTrue(Json.step(new PlanStep(StepKind.CREATE_OVERLAY, "create overlay /d/o.qcow2 for vda on /d/b.qcow2 "
                + "(qcow2)")).contains("\"paths\":[\"/d/o.qcow2\",\"/d/b.qcow2\"]"));
        assertTrue(Json.step(new PlanStep(StepKind.REMOVE_FILE, "remove /d/o.qcow2 (merged into /d/b.qcow2)"))
                .contains("\"paths\":[\"/d/o.qcow2\"]"));
        assertTrue(Json.step(new PlanStep(StepKind.DEFINE_DOMAIN, "define the domain with vda -> /d/1.qcow2, vdb -> "
                + "/d/2.qcow2")).contains("\"paths\":[\"/d/1.qcow2\",\"/d/2.qcow2\"]"));
        assertTrue(Json.step(new PlanStep(StepKind.START_DOMAIN, "start the domain")).contains("\"paths\":[]"));
    }

    @Test
    void aPlanIsAnObjectWithItsSteps() {
        String json = Json.plan(new Plan(Operation.DELETE, "web", List.of(new PlanStep(StepKind.REMOVE_SNAPSHOT,
                "remove snapshot 's2' from libvirt's metadata"))));
        assertTrue(json.startsWith("{\"operation\":\"delete\",\"domain\":\"web\",\"dryRun\":true,\"steps\":[{\"kind\":"
                + "\"REMOVE_SNAPSHOT\""), json);
    }

    @Test
    void mergeBytesFollowsTheQcow2BackingChainDownToTheBase(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base.qcow2");
        Files.write(base, new byte[100]);
        Path mid = qcow2(dir.resolve("mid.qcow2"), "base.qcow2", 1000);
        Path top = qcow2(dir.resolve("top.qcow2"), mid.toString(), 3000);
        assertEquals(Optional.of(4000L), Json.mergeBytes(top.toString(), base.toString()));
        assertEquals(Optional.empty(), Json.mergeBytes(base.toString(), top.toString()), "not below");
    }

    /** A file that starts with a qcow2 header naming its backing file, {@code size} bytes long. */
    private static Path qcow2(Path p, String backing, int size) throws Exception {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(size);
        b.putInt(0x514649fb).putInt(3).putLong(512).putInt(backing.length());
        b.position(512);
        b.put(backing.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Files.write(p, b.array());
        return p;
    }
}
