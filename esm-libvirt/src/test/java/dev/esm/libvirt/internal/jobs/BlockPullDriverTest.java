package dev.esm.libvirt.internal.jobs;

import static dev.esm.libvirt.internal.jobs.ScriptedEvents.chain;
import static dev.esm.libvirt.internal.jobs.ScriptedEvents.noJob;
import static dev.esm.libvirt.internal.jobs.ScriptedEvents.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import dev.esm.api.Progress;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.api.errors.LeaseLostException;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.StateStore;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainBlockJobInfo;
import org.libvirt.LibvirtException;
import org.libvirt.event.BlockJobStatus;
import org.mockito.InOrder;

/**
 * One block pull driven from its start to its end on a mocked domain, with the disk's block-job events given in order
 * (a wait with no event is an empty poll): the pull starts with the anchor as its base and ends on its completion once
 * the pulled images left the live chain; an anchor already under the active layer needs no job, one not below it is
 * refused before any job; a failure or someone else's abort fails it, a cancellation aborts the job, a job left by an
 * earlier process is aborted before the start is tried again, and a job that makes no progress is aborted after the
 * stall time. On a QEMU that cannot pull into an image with subclusters (before 10.0), a pull into an active layer
 * with them is refused before any job, on the one read of the live chain.
 */
class BlockPullDriverTest {
    private static final String ACTIVE = "/vm/active.qcow2";
    private static final String MID = "/vm/mid.qcow2";
    private static final String LOW = "/vm/low.qcow2";
    private static final String ANCHOR = "/vm/base.qcow2";
    private static final String BEFORE = chain(ACTIVE, MID, LOW, ANCHOR);
    private static final String AFTER = chain(ACTIVE, ANCHOR);

    private final Domain d = mock(Domain.class);
    private final BlockPullDriver.Rebase rebase = mock(BlockPullDriver.Rebase.class);
    private final List<Progress> progress = new ArrayList<>();
    private final Cancellation cancel = Cancellation.none();
    private long stallMillis = 60_000;
    /** The host's QEMU pulls into images with subclusters (10.0 and later). */
    private boolean pullsSubclusters = true;
    /** The images with subclusters. */
    private java.util.Set<String> withSubclusters = java.util.Set.of();

    private static DomainBlockJobInfo job(long cur, long end) {
        return ScriptedEvents.job(Domain.BlockJobType.PULL, cur, end);
    }

    private void run(ScriptedEvents events) throws LibvirtException {
        BlockPullDriver driver = new BlockPullDriver(new BlockJobs(mock(Connect.class), false, stallMillis, () -> { }),
                pullsSubclusters, withSubclusters::contains, rebase);
        driver.runPull(d, "dom", "vda", ANCHOR, progress::add, cancel, events, "pulling into " + ACTIVE);
    }

    @Test
    void aPullStartsWithTheAnchorAsBaseAndEndsOnItsCompletionWithoutLookingAtTheJob() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(BEFORE, AFTER);
        run(new ScriptedEvents().then(BlockJobStatus.COMPLETED));
        verify(rebase).start(d, "vda", ANCHOR);
        verify(d, never()).getBlockJobInfo(anyString(), anyInt());
        verify(d, never()).blockJobAbort(anyString(), anyInt());
        assertEquals(List.of(new Progress("vda", 1, 1)), progress);
    }

    @Test
    void aPullReportsProgressFromTheJobWhileItRuns() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(BEFORE, AFTER);
        when(d.getBlockJobInfo("vda", 0)).thenReturn(job(10, 100), job(60, 100));
        run(new ScriptedEvents().then(null, null, BlockJobStatus.COMPLETED));
        assertEquals(List.of(new Progress("vda", 10, 100), new Progress("vda", 60, 100),
                new Progress("vda", 100, 100)), progress);
    }

    @Test
    void aJobGoneWithoutAnEventEndsThePullOnceTheChainShowsIt() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(BEFORE, AFTER);
        when(d.getBlockJobInfo("vda", 0)).thenReturn(job(10, 100), noJob());
        run(new ScriptedEvents().then(null, null));
        assertEquals(new Progress("vda", 100, 100), progress.get(progress.size() - 1));
    }

    @Test
    void aPullThatEndedWithAPulledImageStillInTheChainFails() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(BEFORE, chain(ACTIVE, LOW, ANCHOR));
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> run(new ScriptedEvents().then(BlockJobStatus.COMPLETED)));
        assertTrue(e.getMessage().contains("still holds [" + MID + ", " + LOW + "]"), e.getMessage());
    }

    @Test
    void anActiveLayerStandingOnTheAnchorAlreadyNeedsNoJob() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(AFTER);
        run(new ScriptedEvents());
        verifyNoInteractions(rebase);
        assertEquals(List.of(new Progress("vda", 1, 1)), progress);
    }

    @Test
    void aPullIntoAnActiveLayerWithSubclustersIsRefusedBeforeAnyJobOnAQemuThatCannotPullIntoIt()
            throws LibvirtException {
        pullsSubclusters = false;
        withSubclusters = java.util.Set.of(ACTIVE);
        when(d.getXMLDesc(0)).thenReturn(BEFORE);
        dev.esm.api.errors.UnsupportedDiskException e = assertThrows(dev.esm.api.errors.UnsupportedDiskException.class,
                () -> run(new ScriptedEvents()));
        assertTrue(e.getMessage().contains("the image " + ACTIVE + " of vda has subclusters"), e.getMessage());
        assertTrue(e.getMessage().contains("while 'dom' runs"), e.getMessage());
        verifyNoInteractions(rebase);
        verify(d, times(1)).getXMLDesc(0);
    }

    @Test
    void aPullIntoAClassicActiveLayerRunsOnAQemuThatCannotPullIntoSubclusters() throws LibvirtException {
        pullsSubclusters = false;
        withSubclusters = java.util.Set.of(MID);
        when(d.getXMLDesc(0)).thenReturn(BEFORE, AFTER);
        run(new ScriptedEvents().then(BlockJobStatus.COMPLETED));
        verify(rebase).start(d, "vda", ANCHOR);
    }

    @Test
    void aPullIntoAnActiveLayerWithSubclustersRunsOnAQemuThatPullsIntoThem() throws LibvirtException {
        withSubclusters = java.util.Set.of(ACTIVE);
        when(d.getXMLDesc(0)).thenReturn(BEFORE, AFTER);
        run(new ScriptedEvents().then(BlockJobStatus.COMPLETED));
        verify(rebase).start(d, "vda", ANCHOR);
    }

    @Test
    void anAnchorNotBelowTheActiveLayerIsRefusedBeforeAnyJob() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain(ACTIVE, MID));
        InvalidOperationException e = assertThrows(InvalidOperationException.class, () -> run(new ScriptedEvents()));
        assertTrue(e.getMessage().contains(ANCHOR + " is not below the active layer"), e.getMessage());
        verifyNoInteractions(rebase);
        when(d.getXMLDesc(0)).thenReturn(chain(ANCHOR, MID));
        assertThrows(InvalidOperationException.class, () -> run(new ScriptedEvents()));
        verifyNoInteractions(rebase);
    }

    @Test
    void aFailedJobFailsThePullAndSaysTheDiskIsAsItWas() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(BEFORE);
        when(d.getBlockJobInfo("vda", 0)).thenReturn(noJob());
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> run(new ScriptedEvents().then(BlockJobStatus.FAILED)));
        assertTrue(e.getMessage().startsWith("pulling into " + ACTIVE + " failed; the disk shows what it showed"),
                e.getMessage());
        assertEquals("VIR_DOMAIN_BLOCK_JOB_FAILED", e.codeName());
        verify(d, never()).blockJobAbort(anyString(), anyInt());
    }

    @Test
    void aJobAbortedBySomeoneElseIsACancellationSaidAsSuch() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(BEFORE);
        when(d.getBlockJobInfo("vda", 0)).thenReturn(noJob());
        OperationCancelledException e = assertThrows(OperationCancelledException.class,
                () -> run(new ScriptedEvents().then(BlockJobStatus.CANCELED)));
        assertTrue(e.getMessage().contains("aborted by someone else"), e.getMessage());
    }

    @Test
    void aCancelledPullAbortsItsJob() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(BEFORE);
        cancel.cancel();
        OperationCancelledException e = assertThrows(OperationCancelledException.class,
                () -> run(new ScriptedEvents().then((BlockJobStatus) null)));
        assertEquals("pulling into " + ACTIVE + " was cancelled; the disk shows what it showed, on its old chain",
                e.getMessage());
        InOrder order = inOrder(rebase, d);
        order.verify(rebase).start(d, "vda", ANCHOR);
        order.verify(d).blockJobAbort("vda", 0);
    }

    @Test
    void aPullThatCompletedAsItWasCancelledCountsAsDone() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(BEFORE, AFTER);
        cancel.cancel();
        run(new ScriptedEvents().then((BlockJobStatus) null));
        verify(d).blockJobAbort("vda", 0);
        assertEquals(List.of(new Progress("vda", 1, 1)), progress);
    }

    @Test
    void aClientThatLostItsLeaseMakesNoFurtherChangeToTheJob() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(BEFORE);
        StateStore.Lease lost = ScriptedEvents.lostLease();
        cancel.cancel();
        dev.esm.core.port.Fencing.during(lost, () -> assertThrows(LeaseLostException.class,
                () -> run(new ScriptedEvents().then(BlockJobStatus.COMPLETED))));
        verify(d, never()).blockJobAbort(anyString(), anyInt());
    }

    @Test
    void aJobLeftByAnEarlierProcessIsAbortedAndTheStartTriedAgain() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(BEFORE, AFTER);
        doThrow(new HypervisorException("starting failed", 55, "VIR_ERR_BLOCK_COPY_ACTIVE", "disk vda already in"
                + " use by a block job", null)).doNothing().when(rebase).start(d, "vda", ANCHOR);
        when(d.getBlockJobInfo("vda", 0)).thenReturn(job(30, 100), noJob());
        ScriptedEvents events = new ScriptedEvents().then(BlockJobStatus.COMPLETED);
        events.add(BlockJobStatus.CANCELED); // the aborted job's event: not this job's
        run(events);
        InOrder order = inOrder(rebase, d);
        order.verify(rebase).start(d, "vda", ANCHOR);
        order.verify(d).blockJobAbort("vda", 0);
        order.verify(rebase).start(d, "vda", ANCHOR);
    }

    @Test
    void aStartRefusedWithNoJobLeftIsTheRefusalWithLibvirtsCodeAndMessage() throws LibvirtException {
        HypervisorException no = new HypervisorException("starting failed", 8, "VIR_ERR_INVALID_ARG",
                "could not find image", null);
        when(d.getXMLDesc(0)).thenReturn(BEFORE);
        doThrow(no).when(rebase).start(d, "vda", ANCHOR);
        when(d.getBlockJobInfo("vda", 0)).thenReturn(noJob());
        assertEquals(no, assertThrows(HypervisorException.class, () -> run(new ScriptedEvents())));
        verify(rebase, times(1)).start(d, "vda", ANCHOR);
        verify(d, never()).blockJobAbort(anyString(), anyInt());
        LibvirtException refusal = refused("no");
        doThrow(refusal).when(rebase).start(d, "vda", ANCHOR);
        assertEquals(refusal, assertThrows(LibvirtException.class, () -> run(new ScriptedEvents())));
    }

    @Test
    void aJobMakingNoProgressIsAbortedAfterTheStallTime() throws LibvirtException {
        stallMillis = 1;
        when(d.getXMLDesc(0)).thenReturn(BEFORE);
        when(d.getBlockJobInfo("vda", 0)).thenReturn(job(10, 100));
        ScriptedEvents events = new ScriptedEvents();
        for (int i = 0; i < 10_000; i++) {
            events.then((BlockJobStatus) null);
        }
        HypervisorException e = assertThrows(HypervisorException.class, () -> run(events));
        assertEquals("ESM_BLOCK_JOB_STALLED", e.codeName());
        assertTrue(e.getMessage().contains("made no progress"), e.getMessage());
        verify(d).blockJobAbort("vda", 0);
    }
}
