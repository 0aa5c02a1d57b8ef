package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.Progress;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Storage;
import dev.esm.libvirt.testbed.AbstractLibvirtBed;
import dev.esm.libvirt.testbed.PulledChain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the pull ITs share ({@link PullIT} on this machine, {@link PullRemoteIT} through libvirt's storage API): a
 * fresh bed per test, the check that progress went to its end, and the offline pull of a {@link PulledChain}'s top
 * first onto a middle image and then onto the bottom one.
 *
 * @param <B> the bed: this machine's or a remote host's
 */
abstract class PullCases<B extends AbstractLibvirtBed> {
    protected B bed;

    /** @return a fresh bed for one test */
    protected abstract B openBed();

    @BeforeEach
    void open() {
        bed = openBed();
    }

    @AfterEach
    void close() {
        bed.close();
    }

    /** @return the anchor of a pull: a qcow2 image of the chain */
    protected static DiskImage qcow2(String path) {
        return new DiskImage("vda", path, ImageFormat.QCOW2);
    }

    /** Checks that the progress reported went to its end. */
    protected static void assertEnded(List<Progress> seen, String what) {
        assertFalse(seen.isEmpty(), what + ": progress is reported");
        Progress last = seen.get(seen.size() - 1);
        assertTrue(last.total() > 0 && last.done() == last.total(), what + ": the last progress is the end: " + seen);
        assertTrue(seen.stream().allMatch(p -> p.disk().equals("vda")), what + ": progress names the disk: " + seen);
    }

    /**
     * Pulls {@code c}'s top through {@code storage} onto l1, removes l2 and l3, then onto l0 and removes l1: after
     * each step the top shows what it showed, its header names the anchor by its path, and no image below it was
     * written.
     *
     * @param remove removes images of the chain (no longer needed)
     */
    protected void pullOntoAMiddleImageThenOntoTheBottom(PulledChain c, Storage storage, Consumer<List<String>> remove) {
        String ref = bed.root() + "/ref.raw";
        c.reference(ref);
        c.assertShowsTheChain(c.top(), "before");
        Map<String, String> before = c.hashesBelowTop();

        List<Progress> seen = new ArrayList<>();
        storage.pull(c.top(), qcow2(c.images.get(1)), "vda", seen::add, Cancellation.none());
        assertEnded(seen, "pull onto l1");
        c.assertBacking(c.top(), c.images.get(1), "pull onto l1");
        c.assertSameAs(c.top(), ref, "pull onto l1");
        c.assertBelowTopUnchanged(before, "pull onto l1");
        remove.accept(c.images.subList(2, 4));
        c.assertSameAs(c.top(), ref, "pull onto l1, l2 and l3 removed");
        c.assertShowsTheChain(c.top(), "pull onto l1, l2 and l3 removed");

        seen.clear();
        storage.pull(c.top(), qcow2(c.images.get(0)), "vda", seen::add, Cancellation.none());
        assertEnded(seen, "pull onto l0");
        c.assertBacking(c.top(), c.images.get(0), "pull onto l0");
        remove.accept(c.images.subList(1, 2));
        c.assertSameAs(c.top(), ref, "pull onto l0, l1 removed");
        c.assertShowsTheChain(c.top(), "pull onto l0, l1 removed");
        assertEquals(before.get(c.images.get(0)), c.hash(c.images.get(0)), "l0 is never written");
    }
}
