package dev.esm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.Operation;
import dev.esm.api.Plan;
import dev.esm.api.PlanStep;
import dev.esm.api.StepKind;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** JSON for plans: each step's kind, description and paths; merges with disk, top, base and bytes. */
class JsonTest {

    @Test
    void aMergeStepNamesItsDiskImagesModeAndBytes() {
        PlanStep merge = new PlanStep(StepKind.MERGE,
                "live block commit of vda: /a b/top.qcow2 into /a b/base.qcow2, then pivot onto it", Optional.empty(),
                Optional.of("vda"), List.of("/a b/top.qcow2", "/a b/base.qcow2"), OptionalLong.empty());
        assertEquals("{\"kind\":\"MERGE\",\"description\":\"live block commit of vda: /a b/top.qcow2 into /a b/"
                + "base.qcow2, then pivot onto it\",\"paths\":[\"/a b/top.qcow2\",\"/a b/base.qcow2\"],\"disk\":"
                + "\"vda\",\"top\":\"/a b/top.qcow2\",\"base\":\"/a b/base.qcow2\",\"live\":true,\"pivot\":true,"
                + "\"bytes\":null}", Json.step(merge), "bytes unknown");
        assertTrue(Json.step(merge.withBytes(4000)).endsWith("\"bytes\":4000}"));
    }

    @Test
    void otherStepsListThePathsAndSnapshotTheyName() {
        assertTrue(Json.step(new PlanStep(StepKind.CREATE_OVERLAY, "create overlay /d/o.qcow2 for vda on /d/b.qcow2 "
                + "(qcow2)", Optional.empty(), Optional.of("vda"), List.of("/d/o.qcow2", "/d/b.qcow2"),
                OptionalLong.empty())).contains("\"paths\":[\"/d/o.qcow2\",\"/d/b.qcow2\"],\"disk\":\"vda\""));
        assertTrue(Json.step(new PlanStep(StepKind.REMOVE_SNAPSHOT, "remove snapshot 's2' from libvirt's metadata",
                Optional.of("s2"), Optional.empty(), List.of(), OptionalLong.empty()))
                .contains("\"paths\":[],\"snapshot\":\"s2\""));
        assertTrue(Json.step(new PlanStep(StepKind.START_DOMAIN, "start the domain")).contains("\"paths\":[]"));
    }

    @Test
    void findingsAreObjectsWithTheirKindAndWhatTheyConcern() {
        String json = Json.findings(List.of(new dev.esm.api.Finding(dev.esm.api.Finding.Kind.IMAGE_MISSING,
                Optional.of("s1"), Optional.of("vda"), Optional.of("/d/s1.qcow2"), "snapshot 's1': image missing")));
        assertEquals("[{\"kind\":\"IMAGE_MISSING\",\"snapshot\":\"s1\",\"disk\":\"vda\",\"path\":\"/d/s1.qcow2\","
                + "\"message\":\"snapshot 's1': image missing\"}]", json);
    }

    @Test
    void aPlanIsAnObjectWithItsSteps() {
        String json = Json.plan(new Plan(Operation.DELETE, "web", List.of(new PlanStep(StepKind.REMOVE_SNAPSHOT,
                "remove snapshot 's2' from libvirt's metadata"))));
        assertTrue(json.startsWith("{\"operation\":\"delete\",\"domain\":\"web\",\"dryRun\":true,\"steps\":[{\"kind\":"
                + "\"REMOVE_SNAPSHOT\""), json);
    }
}
