package dev.esm.core.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.core.model.ChainLink;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class DepthLimitTest {

    private static List<ChainLink> chain(long... bytes) {
        List<ChainLink> out = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            out.add(new ChainLink(new DiskImage("vda", "/i/" + i, ImageFormat.QCOW2), bytes[i]));
        }
        return out;
    }

    @Test
    void aChainWithRoomForTheNewLayerIsLeftAlone() {
        assertEquals(OptionalInt.empty(), DepthLimit.anchor(chain(1, 1, 1, 1, 1), 1, 6));
        assertEquals(OptionalInt.empty(), DepthLimit.anchor(chain(1, 1, 1, 1, 1, 1), 0, 6));
    }

    @Test
    void aFullChainOfEqualLayersIsPulledDownToHalfTheLimit() {
        // 16 images and a new one on top: the top takes in layers until 8 images are left under the new layer.
        long[] sizes = new long[16];
        java.util.Arrays.fill(sizes, 10);
        OptionalInt k = DepthLimit.anchor(chain(sizes), 1, 16);
        assertTrue(k.isPresent());
        assertTrue(1 + (16 - k.getAsInt()) <= 7, "the top's chain holds at most half the limit, less the new layer");
    }

    @Test
    void aLargeImageDeepInTheChainIsNotTakenInWhenLessHasComeOnTopOfIt() {
        // top, 10 small layers, one large image, 4 small ones, base (17 images, a limit of 16): anchored on the large
        // image the top's chain holds 7 images, short enough, so the pull stops there rather than copying it.
        long[] sizes = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1000, 1, 1, 1, 1, 5};
        assertEquals(OptionalInt.of(11), DepthLimit.anchor(chain(sizes), 1, 16));
        // The same large image one place higher: the chain must get shorter than that, so it is taken in.
        long[] higher = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1000, 1, 1, 1, 1, 1, 5};
        assertTrue(DepthLimit.anchor(chain(higher), 1, 16).getAsInt() > 10);
    }

    @Test
    void theBaseIsNeverTakenIn() {
        long[] sizes = new long[20];
        java.util.Arrays.fill(sizes, 1);
        sizes[19] = 0; // an empty base: "no larger than what was taken in", yet never taken in
        assertEquals(OptionalInt.of(19), DepthLimit.anchor(chain(sizes), 1, 4));
    }

    @Test
    void anOverlayAtTheLimitIsOneTheNextSnapshotPullsInto() {
        assertTrue(DepthLimit.atLimit(16, 16));
        assertFalse(DepthLimit.atLimit(15, 16));
    }
}
