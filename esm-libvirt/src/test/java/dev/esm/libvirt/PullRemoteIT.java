package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.core.port.Storage;
import dev.esm.libvirt.internal.pool.PoolStorage;
import dev.esm.libvirt.testbed.PulledChain;
import dev.esm.libvirt.testbed.RemoteBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The offline pull of a host whose files this client cannot see ({@link PoolStorage#pull}: a block pull with a base
 * in a paused helper domain, libvirt's API only), on a chain of five qcow2 images with a pattern per layer
 * ({@link PulledChain}) made on the host: first onto a middle image, then onto the bottom one. Each keeps what the
 * top image shows, points its header at the anchor by its path, writes no other image and leaves the pulled images
 * unneeded; the client's images root stays empty.
 */
class PullRemoteIT extends PullCases<RemoteBed> {
    @Override
    protected RemoteBed openBed() {
        return new RemoteBed();
    }

    @Test
    void anOfflinePullThroughTheStorageApiOntoAMiddleImageThenOntoTheBottomKeepsTheContent() throws Exception {
        PulledChain c = PulledChain.make(bed.root(), null, cmd -> bed.shell().run(cmd.toArray(String[]::new)));
        Storage storage = bed.libvirtHost().storage();
        assertTrue(storage instanceof PoolStorage, "the remote host's images go through libvirt's storage API");
        assertFalse(Files.exists(Path.of(c.top())), "the client cannot see the host's images");
        // The helper kept from the first pull takes the second one.
        pullOntoAMiddleImageThenOntoTheBottom(c, storage, images -> {
            List<String> rm = new ArrayList<>(List.of("rm"));
            rm.addAll(images);
            bed.shell().run(rm.toArray(String[]::new));
        });
    }
}
