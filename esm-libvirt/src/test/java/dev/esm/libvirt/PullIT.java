package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainState;
import dev.esm.api.Progress;
import dev.esm.api.errors.UnsupportedDiskException;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.port.Cancellation;
import dev.esm.core.xml.DomainXml;
import dev.esm.libvirt.internal.local.LocalStorage;
import dev.esm.libvirt.testbed.LibvirtBed;
import dev.esm.libvirt.testbed.PulledChain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pulls on the real libvirtd and {@code qemu-img}, on a chain of five qcow2 images with a pattern per layer
 * ({@link PulledChain}): offline ({@link LocalStorage#pull}, {@code qemu-img rebase} in safe mode) and live
 * ({@link LibvirtHost#blockPull}, a block pull with a base on a running domain), first onto a middle image and then
 * onto the bottom one. Each keeps what the top image shows, points its header at the anchor by its path, writes no
 * other image, and leaves the pulled images unneeded. A live pull into an active layer with subclusters is refused
 * before any job where the host's QEMU cannot make it.
 */
class PullIT extends PullCases<LibvirtBed> {
    @Override
    protected LibvirtBed openBed() {
        return new LibvirtBed();
    }

    private static void removeUnneeded(List<String> images) {
        for (String image : images) {
            try {
                Files.delete(Path.of(image));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void anOfflinePullOntoAMiddleImageThenOntoTheBottomKeepsTheContentAndWritesOnlyTheTop() {
        PulledChain c = PulledChain.make(bed.root(), null, LibvirtBed::run);
        pullOntoAMiddleImageThenOntoTheBottom(c, new LocalStorage(), PullIT::removeUnneeded);
    }

    @Test
    void aCancelledOfflinePullLeavesTheImageAsItWas() {
        PulledChain c = PulledChain.make(bed.root(), null, LibvirtBed::run);
        String ref = bed.root() + "/ref.raw";
        c.reference(ref);
        Cancellation cancel = Cancellation.none();
        cancel.cancel();
        try {
            new LocalStorage().pull(c.top(), qcow2(c.images.get(0)), "vda", p -> { }, cancel);
            // qemu-img may finish a chain this small before the signal reaches it: then the pull is done.
            c.assertBacking(c.top(), c.images.get(0), "a pull that ended before its cancellation");
        } catch (dev.esm.api.errors.OperationCancelledException e) {
            // Killed before it rewrote the header (the old backing), or just after (the anchor): either way the image
            // shows what it showed, and the engine finds a finished pull by its header when it runs the step again.
            try {
                c.assertBacking(c.top(), c.images.get(3), "a cancelled pull");
            } catch (AssertionError rewritten) {
                c.assertBacking(c.top(), c.images.get(0), "a pull cancelled after its header was rewritten");
            }
        }
        c.assertSameAs(c.top(), ref, "after the cancellation");
    }

    /** Checks through the running domain's QEMU that its disk shows the chain's content. */
    private void assertLiveReads(String dom, String when) {
        for (String read : PulledChain.expectedReads()) {
            String out = bed.monitorIo(dom, "vda", read);
            assertFalse(out.contains("verification failed") || out.toLowerCase().contains("error"),
                    when + ": the running domain's disk fails " + read + ": " + out);
        }
    }

    private List<String> liveChain(String dom) {
        return DomainXml.chain(bed.host().domainXml(dom, true), "vda");
    }

    @Test
    void aLivePullOntoAMiddleImageThenOntoTheBottomShortensTheRunningDomainsChain() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "vda.qcow2").size(PulledChain.SIZE)));
        String active = bed.active(dom, "vda", false).path();
        PulledChain c = PulledChain.make(bed.folder(dom), active, LibvirtBed::run);
        String ref = bed.root() + "/ref.raw";
        c.reference(ref);
        Map<String, String> before = c.hashesBelowTop();
        List<String> l = c.images;
        bed.start(dom);
        try {
            assertEquals(List.of(active, l.get(3), l.get(2), l.get(1), l.get(0)), liveChain(dom));
            assertLiveReads(dom, "before");

            List<Progress> seen = new ArrayList<>();
            bed.libvirtHost().blockPull(dom, "vda", l.get(1), seen::add, Cancellation.none());
            assertEnded(seen, "live pull onto l1");
            assertEquals(List.of(active, l.get(1), l.get(0)), liveChain(dom), "the pulled images left the chain");
            assertLiveReads(dom, "live pull onto l1");

            seen.clear();
            bed.libvirtHost().blockPull(dom, "vda", l.get(0), seen::add, Cancellation.none());
            assertEnded(seen, "live pull onto l0");
            assertEquals(List.of(active, l.get(0)), liveChain(dom));
            assertLiveReads(dom, "live pull onto l0");

            // Run again (as a recovery would): nothing left to pull.
            bed.libvirtHost().blockPull(dom, "vda", l.get(0), p -> { }, Cancellation.none());
            assertEquals(List.of(active, l.get(0)), liveChain(dom));
            InvalidOperationException gone = assertThrows(InvalidOperationException.class,
                    () -> bed.libvirtHost().blockPull(dom, "vda", l.get(2), p -> { }, Cancellation.none()));
            assertTrue(gone.getMessage().contains("is not below the active layer"), gone.getMessage());
            String jobs = bed.libvirtHost().humanMonitorCommand(dom, "info block-jobs");
            assertTrue(jobs.contains("No active jobs"), jobs);
        } finally {
            bed.stop(dom);
        }
        c.assertBacking(active, l.get(0), "after the live pulls");
        c.assertBelowTopUnchanged(before, "after the live pulls");
        removeUnneeded(l.subList(1, 4));
        c.assertSameAs(active, ref, "after the live pulls, l1 to l3 removed");
        c.assertShowsTheChain(active, "after the live pulls, l1 to l3 removed");
    }

    @Test
    void aLivePullIntoAnActiveLayerWithSubclustersIsRefusedBeforeAnyJobWhereItsQemuCannotMakeIt() {
        // The bed's host is given its storage (LibvirtHost(uri, storage)), so it checks every live pull's active
        // layer, as on a QEMU before 10.0, which aborts a domain that pulls into an image with subclusters.
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "vda.qcow2").size(PulledChain.SIZE)));
        String active = bed.active(dom, "vda", false).path();
        String base = bed.folder(dom) + "/base.qcow2";
        String mid = bed.folder(dom) + "/mid.qcow2";
        String size = Long.toString(PulledChain.SIZE);
        LibvirtBed.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", base, size));
        LibvirtBed.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", mid, size));
        LibvirtBed.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-o", "extended_l2=on", "-b", mid, "-F",
                "qcow2", active, size));
        bed.start(dom);
        try {
            assertEquals(List.of(active, mid, base), liveChain(dom));
            UnsupportedDiskException e = assertThrows(UnsupportedDiskException.class,
                    () -> bed.libvirtHost().blockPull(dom, "vda", base, p -> { }, Cancellation.none()));
            assertTrue(e.getMessage().contains("the image " + active + " of vda has subclusters"), e.getMessage());
            assertEquals(DomainState.RUNNING, bed.host().state(dom));
            assertEquals(List.of(active, mid, base), liveChain(dom), "the chain is as it was");
            String jobs = bed.libvirtHost().humanMonitorCommand(dom, "info block-jobs");
            assertTrue(jobs.contains("No active jobs"), jobs);
        } finally {
            bed.stop(dom);
        }
    }
}
