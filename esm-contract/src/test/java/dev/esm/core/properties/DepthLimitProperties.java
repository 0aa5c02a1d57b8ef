package dev.esm.core.properties;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.core.model.ChainLink;
import dev.esm.core.plan.DepthLimit;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/** {@link DepthLimit} on chains of any length and sizes: a pull leaves the chain within the limit. */
class DepthLimitProperties {

    private static List<ChainLink> chain(long... bytes) {
        List<ChainLink> out = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            out.add(new ChainLink(new DiskImage("vda", "/i/" + i, ImageFormat.QCOW2), bytes[i]));
        }
        return out;
    }

    @Property
    void aPullLeavesAChainWithinTheLimitAndNeverTakesInTheBase(
            @ForAll @Size(min = 1, max = 300) List<@LongRange(min = 0, max = 1_000_000) Long> sizes,
            @ForAll @IntRange(min = 4, max = 200) int limit, @ForAll @IntRange(min = 0, max = 1) int above) {
        List<ChainLink> c = chain(sizes.stream().mapToLong(Long::longValue).toArray());
        OptionalInt k = DepthLimit.anchor(c, above, limit);
        if (c.size() + above <= limit) {
            assertFalse(k.isPresent(), "a chain that fits is left alone");
            return;
        }
        if (c.size() < 3) {
            return; // nothing between the top and the base to take in
        }
        assertTrue(k.isPresent());
        int anchor = k.getAsInt();
        assertTrue(anchor >= 1 && anchor <= c.size() - 1, "the anchor lies below the top, the base at the lowest");
        int after = 1 + (c.size() - anchor) + above;
        assertTrue(after <= limit, "after the pull the chain holds " + after + " images, over " + limit);
    }
}
