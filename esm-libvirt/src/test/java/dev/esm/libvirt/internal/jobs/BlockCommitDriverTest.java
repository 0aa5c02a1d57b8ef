package dev.esm.libvirt.internal.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.esm.api.Progress;
import dev.esm.api.errors.HypervisorException;
import dev.esm.api.errors.LeaseLostException;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.StateStore;
import dev.esm.libvirt.internal.connect.LibvirtFlags;
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
 * One block commit driven from its start to its end on a mocked domain, with the disk's block-job events given in
 * order (a wait with no event is an empty poll): an intermediate commit ends on its completion, an active one is
 * pivoted when ready, a failure or someone else's abort fails it with the top keeping its data, a cancellation aborts
 * the job, a job left by an earlier process is aborted before the start is tried again, and a job that makes no
 * progress is aborted after the stall time.
 */
class BlockCommitDriverTest {
    private static final String TOP = "/vm/top.qcow2";
    private static final String BASE = "/vm/base.qcow2";
    private static final int ACTIVE = LibvirtFlags.BLOCK_COMMIT_ACTIVE;
    private static final int PIVOT = LibvirtFlags.BLOCK_JOB_ABORT_PIVOT | LibvirtFlags.BLOCK_JOB_ABORT_ASYNC;

    private final Domain d = mock(Domain.class);
    private final List<Progress> progress = new ArrayList<>();
    private final Cancellation cancel = Cancellation.none();
    private long stallMillis = 60_000;

    private static String chain(String... images) {
        return ScriptedEvents.chain(images);
    }

    private static DomainBlockJobInfo job(long cur, long end) {
        return ScriptedEvents.job(3, cur, end); // commit
    }

    private static DomainBlockJobInfo noJob() {
        return ScriptedEvents.noJob();
    }

    private static LibvirtException refused(String message) {
        return ScriptedEvents.refused(message);
    }

    private void run(boolean active, ScriptedEvents events) throws LibvirtException {
        BlockCommitDriver driver = new BlockCommitDriver(new BlockJobs(mock(Connect.class), false, stallMillis, () -> { }));
        driver.runCommit(d, "vda", BASE, TOP, active, progress::add, cancel, events, "merging " + TOP);
    }

    @Test
    void anIntermediateCommitEndsOnItsCompletionWithoutLookingAtTheJob() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain("/vm/active.qcow2", BASE));
        run(false, new ScriptedEvents().then(BlockJobStatus.COMPLETED));
        verify(d).blockCommit("vda", BASE, TOP, 0, 0);
        verify(d, never()).getBlockJobInfo(anyString(), anyInt());
        verify(d, never()).blockJobAbort(anyString(), anyInt());
        assertEquals(List.of(new Progress("vda", 1, 1)), progress);
    }

    @Test
    void anIntermediateCommitReportsProgressFromTheJobWhileItRuns() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain("/vm/active.qcow2", BASE));
        when(d.getBlockJobInfo("vda", 0)).thenReturn(job(10, 100), job(60, 100));
        run(false, new ScriptedEvents().then(null, null, BlockJobStatus.COMPLETED));
        assertEquals(List.of(new Progress("vda", 10, 100), new Progress("vda", 60, 100),
                new Progress("vda", 100, 100)), progress);
    }

    @Test
    void anIntermediateJobGoneFromTheDiskWithoutAnEventEndsTheCommitOnceTheChainShowsIt() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain("/vm/active.qcow2", BASE));
        when(d.getBlockJobInfo("vda", 0)).thenReturn(job(10, 100), noJob());
        run(false, new ScriptedEvents().then(null, null));
        assertEquals(new Progress("vda", 100, 100), progress.get(progress.size() - 1));
    }

    @Test
    void aCommitThatEndedWithTheTopStillInTheChainFails() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain("/vm/active.qcow2", TOP, BASE));
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> run(false, new ScriptedEvents().then(BlockJobStatus.COMPLETED)));
        assertTrue(e.getMessage().contains("still in the disk's chain"), e.getMessage());
    }

    @Test
    void anActiveCommitIsPivotedWhenReadyAndEndsOnThePivotsCompletion() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain(BASE));
        run(true, new ScriptedEvents().then(BlockJobStatus.READY, BlockJobStatus.COMPLETED));
        InOrder order = inOrder(d);
        order.verify(d).blockCommit("vda", BASE, TOP, 0, ACTIVE);
        order.verify(d).blockJobAbort("vda", PIVOT);
        order.verify(d).getXMLDesc(0);
        verify(d, never()).getBlockJobInfo(anyString(), anyInt());
    }

    @Test
    void anActiveCommitWhoseJobReachedItsEndIsPivotedWithoutAReadyEvent() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain(BASE));
        when(d.getBlockJobInfo("vda", 0)).thenReturn(job(50, 100), job(100, 100));
        run(true, new ScriptedEvents().then(null, null, BlockJobStatus.COMPLETED));
        verify(d).blockJobAbort("vda", PIVOT);
        assertEquals(new Progress("vda", 100, 100), progress.get(progress.size() - 1));
    }

    @Test
    void aPivotRefusedAsNotReadyIsAskedForAgainAtTheNextReady() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain(BASE));
        doThrow(refused("block job not ready")).doNothing().when(d).blockJobAbort("vda", PIVOT);
        run(true, new ScriptedEvents().then(BlockJobStatus.READY, BlockJobStatus.READY, BlockJobStatus.COMPLETED));
        verify(d, times(2)).blockJobAbort("vda", PIVOT);
    }

    @Test
    void aPivotThatFailsFailsTheCommit() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain(TOP, BASE));
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> run(true, new ScriptedEvents().then(BlockJobStatus.READY, BlockJobStatus.FAILED)));
        assertTrue(e.getMessage().startsWith("the pivot of merging " + TOP + " failed"), e.getMessage());
        assertTrue(e.getMessage().contains(TOP + " keeps all its data"), e.getMessage());
    }

    @Test
    void aPivotThatNeverEndsIsAbortedAfterTheStallTime() throws LibvirtException {
        stallMillis = 1;
        when(d.getXMLDesc(0)).thenReturn(chain(TOP, BASE));
        when(d.getBlockJobInfo("vda", 0)).thenReturn(job(100, 100));
        ScriptedEvents events = new ScriptedEvents().then(BlockJobStatus.READY);
        for (int i = 0; i < 10_000; i++) {
            events.then((BlockJobStatus) null);
        }
        HypervisorException e = assertThrows(HypervisorException.class, () -> run(true, events));
        assertEquals("ESM_BLOCK_JOB_STALLED", e.codeName());
        verify(d).blockJobAbort("vda", 0);
    }

    @Test
    void aFailedJobFailsTheCommitAndLeavesTheTopsData() throws LibvirtException {
        when(d.getBlockJobInfo("vda", 0)).thenReturn(noJob());
        HypervisorException e = assertThrows(HypervisorException.class,
                () -> run(false, new ScriptedEvents().then(BlockJobStatus.FAILED)));
        assertTrue(e.getMessage().startsWith("merging " + TOP + " failed; " + TOP + " keeps all its data"),
                e.getMessage());
        verify(d, never()).blockJobAbort(anyString(), anyInt());
    }

    @Test
    void aLateFailureEventOfAJobStillMakingProgressIsIgnored() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain("/vm/active.qcow2", BASE));
        when(d.getBlockJobInfo("vda", 0)).thenReturn(job(10, 100), job(20, 100));
        run(false, new ScriptedEvents().then(null, BlockJobStatus.FAILED, BlockJobStatus.COMPLETED));
        assertEquals(new Progress("vda", 100, 100), progress.get(progress.size() - 1));
    }

    @Test
    void aJobAbortedBySomeoneElseIsACancellationSaidAsSuch() throws LibvirtException {
        when(d.getBlockJobInfo("vda", 0)).thenReturn(noJob());
        OperationCancelledException e = assertThrows(OperationCancelledException.class,
                () -> run(true, new ScriptedEvents().then(BlockJobStatus.CANCELED)));
        assertTrue(e.getMessage().contains("aborted by someone else"), e.getMessage());
    }

    @Test
    void aCancelledCommitAbortsItsJobAndTheTopKeepsItsData() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain("/vm/active.qcow2", TOP, BASE));
        cancel.cancel();
        OperationCancelledException e = assertThrows(OperationCancelledException.class,
                () -> run(false, new ScriptedEvents().then((BlockJobStatus) null)));
        assertEquals("merging " + TOP + " was cancelled; " + TOP + " keeps all its data", e.getMessage());
        InOrder order = inOrder(d);
        order.verify(d).blockCommit("vda", BASE, TOP, 0, 0);
        order.verify(d).blockJobAbort("vda", 0);
    }

    @Test
    void aCommitThatCompletedAsItWasCancelledCountsAsDone() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain("/vm/active.qcow2", BASE));
        cancel.cancel();
        run(false, new ScriptedEvents().then((BlockJobStatus) null));
        verify(d).blockJobAbort("vda", 0);
        assertEquals(List.of(new Progress("vda", 1, 1)), progress);
    }

    @Test
    void aClientThatLostItsLeaseMakesNoFurtherChangeToTheJob() throws LibvirtException {
        StateStore.Lease lost = ScriptedEvents.lostLease();
        dev.esm.core.port.Fencing.during(lost, () -> assertThrows(LeaseLostException.class,
                () -> run(true, new ScriptedEvents().then(BlockJobStatus.READY))));
        verify(d, never()).blockJobAbort(anyString(), anyInt());
    }

    @Test
    void aJobLeftByAnEarlierProcessIsAbortedAndTheStartTriedAgain() throws LibvirtException {
        when(d.getXMLDesc(0)).thenReturn(chain("/vm/active.qcow2", BASE));
        doThrow(refused("disk vda already in use by a block job")).doNothing().when(d)
                .blockCommit("vda", BASE, TOP, 0, 0);
        when(d.getBlockJobInfo("vda", 0)).thenReturn(job(100, 100), noJob());
        ScriptedEvents events = new ScriptedEvents().then(BlockJobStatus.COMPLETED);
        events.add(BlockJobStatus.CANCELED); // the aborted job's event: not this job's
        run(false, events);
        InOrder order = inOrder(d);
        order.verify(d).blockCommit("vda", BASE, TOP, 0, 0);
        order.verify(d).blockJobAbort("vda", 0);
        order.verify(d).blockCommit("vda", BASE, TOP, 0, 0);
    }

    @Test
    void aStartRefusedWithNoJobLeftIsTheRefusal() throws LibvirtException {
        LibvirtException no = refused("invalid argument: top not in chain");
        doThrow(no).when(d).blockCommit(anyString(), anyString(), anyString(), anyLong(), anyInt());
        when(d.getBlockJobInfo("vda", 0)).thenReturn(noJob());
        assertSame(no, assertThrows(LibvirtException.class, () -> run(false, new ScriptedEvents())));
        verify(d, never()).blockJobAbort(anyString(), anyInt());
    }

    @Test
    void aJobMakingNoProgressIsAbortedAfterTheStallTime() throws LibvirtException {
        stallMillis = 1;
        when(d.getBlockJobInfo("vda", 0)).thenReturn(job(10, 100));
        ScriptedEvents events = new ScriptedEvents();
        for (int i = 0; i < 10_000; i++) {
            events.then((BlockJobStatus) null);
        }
        HypervisorException e = assertThrows(HypervisorException.class, () -> run(false, events));
        assertEquals("ESM_BLOCK_JOB_STALLED", e.codeName());
        assertTrue(e.getMessage().contains("made no progress") && e.getMessage().contains(TOP + " keeps all its data"),
                e.getMessage());
        verify(d).blockJobAbort("vda", 0);
    }
}
