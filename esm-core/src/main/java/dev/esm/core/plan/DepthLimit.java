package dev.esm.core.plan;

import dev.esm.core.model.ChainLink;
import java.util.List;
import java.util.OptionalInt;

/**
 * Keeps a disk's chain within {@link dev.esm.api.Settings#maxChainDepth()}: when an operation would leave an active
 * layer on a chain of more images than that, the image the new active layer is to stand on (a create's old active
 * layer, about to be frozen; a revert's snapshot image, on a chain made before the limit or under a higher one) first
 * takes in the data of the images nearest to it, so that it stands on a lower image of its own chain, and the chain
 * is short again. What it shows does not change, and no other image is written: every snapshot keeps its content and
 * its files.
 *
 * <p>Where the pull ends (its anchor) is chosen as a size-tiered merge does: the pull takes in the images below the top
 * as long as each is no larger than what it has taken in so far (the top's own data included), and at least as many as
 * bring the chain down to half the limit. So a pull copies mostly recent, small layers, a large image deep in the chain
 * is copied again only when as much has come on top of it, and a line of any length keeps a chain of about
 * log2(data / smallest layer) large images under a few small ones: the bytes copied per byte a guest writes grow with
 * that logarithm, not with the number of snapshots. The bottom image (the base) is never taken in. Pure; stateless;
 * thread-safe.
 */
public final class DepthLimit {
    private DepthLimit() {
    }

    /**
     * @param depth how many images the chain of a new active layer holds, itself included
     * @param maxDepth the most images a chain may hold
     * @return whether the next snapshot on that active layer will pull into it
     */
    public static boolean atLimit(int depth, int maxDepth) {
        return depth + 1 > maxDepth;
    }

    /**
     * @param chain an image's chain, top first, the bottom image (the base) last; with each image's bytes when a pull
     *              may be needed
     * @param above how many images will stand on the top when the operation ends: 1 when a new active layer is put on
     *              it (create, revert)
     * @param maxDepth the most images a chain may hold, the active layer included
     * @return the index in {@code chain} of the image the top is to be pulled onto, or empty when the chain fits
     */
    public static OptionalInt anchor(List<ChainLink> chain, int above, int maxDepth) {
        int n = chain.size();
        if (n + above <= maxDepth || n < 3) {
            return OptionalInt.empty();
        }
        int target = Math.max(2, maxDepth / 2) - above; // the top's chain after the pull holds at most this many
        long taken = chain.get(0).bytes();
        int k = 1;
        while (k < n - 1) {
            int depthIfAnchoredHere = 1 + (n - k);
            if (depthIfAnchoredHere <= target && chain.get(k).bytes() > taken) {
                break;
            }
            taken += chain.get(k).bytes();
            k++;
        }
        return OptionalInt.of(k);
    }
}
