package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.core.plan.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Which steps get a journal write of their own ({@link JournalPoints#recordedLater}): the steps up to the power-off of a
 * revert are recorded one by one; the definition and what follows it (the removals, a last restore from a memory file
 * or a start, each a no-op when repeated on a running domain) are completed by recovery and written once, at the end.
 * Each write through libvirt's storage API is a definition saved with an fsync; locally a file written and synced.
 */
class RecordedLaterTest {
    private static final DiskImage FROZEN = new DiskImage("vda", "/i/disk0.m1", ImageFormat.QCOW2);
    private static final DiskImage FRESH = new DiskImage("vda", "/i/disk0.after-m1.qcow2", ImageFormat.QCOW2);

    private static List<Boolean> recordedLater(List<Step> plan) {
        return IntStream.range(0, plan.size()).mapToObj(i -> JournalPoints.recordedLater(plan, i)).toList();
    }

    private static List<Step> revert(Step... last) {
        List<Step> plan = new ArrayList<>(List.of(new Step.CreateOverlay(FRESH.path(), FROZEN), new Step.StopDomain(),
                new Step.DefineDomain(Map.of("vda", FRESH), Optional.empty()), new Step.SetCurrent("m1"),
                new Step.RemoveFile("/i/disk0.after-m2.qcow2", "the discarded active layer of vda")));
        plan.addAll(List.of(last));
        return plan;
    }

    @Test
    void aRevertToRunningWritesTheJournalAfterTheOverlayAndThePowerOffOnly() {
        List<Step> plan = revert(new Step.RestoreMemory("m1", "/i/m1.memory", Map.of("vda", FRESH), false));
        assertEquals(List.of(false, false, true, true, true, true), recordedLater(plan));
    }

    @Test
    void aRevertThatStartsTheDomainWritesNoMoreThanOneThatDoesNot() {
        assertEquals(recordedLater(revert()).subList(0, 5), recordedLater(revert(new Step.StartDomain())).subList(0, 5));
        assertEquals(List.of(false, false, true, true, true, true), recordedLater(revert(new Step.StartDomain())));
    }

    @Test
    void aSecondDefinitionOrAnotherKindOfStepAfterTheTailIsRecordedAgain() {
        List<Step> twice = revert(new Step.DefineDomain(Map.of("vda", FROZEN), Optional.empty()),
                new Step.RemoveFile("/i/x", "why"));
        assertEquals(false, recordedLater(twice).get(2), "two definitions: the first is recorded");
        List<Step> merge = revert(new Step.Rebase(FRESH.path(), FROZEN), new Step.RemoveFile("/i/x", "why"));
        assertEquals(false, recordedLater(merge).get(2), "a rebase is no tail step");
    }

    private static List<Step> deleteMiddle(boolean live) {
        DiskImage top = new DiskImage("vda", "/i/disk0.after-m1", ImageFormat.QCOW2);
        return List.of(new Step.Merge("vda", top, FROZEN, live, false),
                new Step.RewriteSnapshotImages("m2", Map.of("vda", FROZEN)),
                new Step.RemoveFile(top.path(), "merged into " + FROZEN.path()), new Step.RemoveSnapshot("m1"));
    }

    @Test
    void aLiveMiddleDeleteIsRecordedByItsMetadataRemovalOnly() {
        // The removal's write (the child's definition saved) records the merge, the rewrite and the file removal.
        assertEquals(List.of(true, true, true, true), recordedLater(deleteMiddle(true)));
    }

    @Test
    void anOfflineMergeIsRecordedBeforeAnythingStandsOnItsResult() {
        // Repeated after the rewrite, an offline merge would write into an image a redefined snapshot stands on.
        assertEquals(List.of(false, true, true, true), recordedLater(deleteMiddle(false)));
    }

    @Test
    void aRewriteOrRemovalBeforeAnotherKindOfStepIsRecorded() {
        List<Step> plan = new ArrayList<>(deleteMiddle(true));
        plan.add(3, new Step.Rebase("/i/other", FROZEN));
        assertEquals(List.of(false, false, false, false, true), recordedLater(plan));
    }
}
