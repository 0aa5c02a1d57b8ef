package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.Progress;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Storage;
import dev.esm.libvirt.internal.pool.PoolStorage;
import dev.esm.libvirt.testbed.PulledChain;
import dev.esm.libvirt.testbed.RemoteBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The offline pull of a host whose files this client cannot see ({@link PoolStorage#pull}: a block pull with a base
 * in a paused helper domain, libvirt's API only), on a chain of five qcow2 images with a pattern per layer
 * ({@link PulledChain}) made on the host: first onto a middle image, then onto the bottom one. Each keeps what the
 * top image shows, points its header at the anchor by its path, writes no other image and leaves the pulled images
 * unneeded; the client's images root stays empty.
 */
class PullRemoteIT {
    private RemoteBed bed;

    @BeforeEach
    void open() {
        bed = new RemoteBed();
    }

    @AfterEach
    void close() {
        bed.close();
    }

    private static DiskImage qcow2(String path) {
        return new DiskImage("sda", path, ImageFormat.QCOW2);
    }

    private static void assertEnded(List<Progress> seen, String what) {
        assertFalse(seen.isEmpty(), what + ": progress is reported");
        Progress last = seen.get(seen.size() - 1);
        assertTrue(last.total() > 0 && last.done() == last.total(), what + ": the last progress is the end: " + seen);
        assertTrue(seen.stream().allMatch(p -> p.disk().equals("vda")), what + ": progress names the disk: " + seen);
    }

    @Test
    void anOfflinePullThroughTheStorageApiOntoAMiddleImageThenOntoTheBottomKeepsTheContent() throws Exception {
        PulledChain c = PulledChain.make(bed.root(), null, cmd -> bed.shell().run(cmd.toArray(String[]::new)));
        String ref = bed.root() + "/ref.raw";
        c.reference(ref);
        Map<String, String> before = c.hashesBelowTop();
        Storage storage = bed.libvirtHost().storage();
        assertTrue(storage instanceof PoolStorage, "the remote host's images go through libvirt's storage API");
        assertFalse(Files.exists(Path.of(c.top())), "the client cannot see the host's images");

        List<Progress> seen = new ArrayList<>();
        storage.pull(c.top(), qcow2(c.images.get(1)), "vda", seen::add, Cancellation.none());
        assertEnded(seen, "pull onto l1");
        c.assertBacking(c.top(), c.images.get(1), "pull onto l1");
        c.assertSameAs(c.top(), ref, "pull onto l1");
        c.assertBelowTopUnchanged(before, "pull onto l1");
        bed.shell().run("rm", c.images.get(2), c.images.get(3));
        c.assertSameAs(c.top(), ref, "pull onto l1, l2 and l3 removed");

        // The helper kept from the first pull takes the second one.
        seen.clear();
        storage.pull(c.top(), qcow2(c.images.get(0)), "vda", seen::add, Cancellation.none());
        assertEnded(seen, "pull onto l0");
        c.assertBacking(c.top(), c.images.get(0), "pull onto l0");
        bed.shell().run("rm", c.images.get(1));
        c.assertSameAs(c.top(), ref, "pull onto l0, l1 removed");
        c.assertShowsTheChain(c.top(), "pull onto l0, l1 removed");
        assertEquals(before.get(c.images.get(0)), c.hash(c.images.get(0)), "l0 is never written");
    }
}
