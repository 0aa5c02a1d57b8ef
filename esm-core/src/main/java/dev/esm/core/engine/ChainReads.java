package dev.esm.core.engine;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import dev.esm.core.model.ChainLink;
import dev.esm.core.model.EsmRecord;
import dev.esm.core.plan.ChainDepths;
import dev.esm.core.plan.DomainView;
import dev.esm.core.port.Host;
import dev.esm.core.port.Storage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads what {@link dev.esm.core.plan.DepthLimit} plans from: the chains a create or revert puts a new active layer
 * on, only when they may hold too many images. A chain holds at most one image per snapshot, per unnamed image and
 * per image of the base's own chain, and the active layer: while that bound is within the limit nothing is read but
 * the snapshot count (and, once per base image and handle, the base's own chain). Beyond it the chains' headers are
 * read ({@link Storage#backing}, the cheapest read), and no further than tells whether a pull is due; when one is,
 * the chain is read again with each image's size ({@link Storage#info}, which gives the backing image as well).
 * Thread-safe: base chains are kept in a concurrent map (a base image's own chain never changes).
 */
final class ChainReads {
    /** Chains longer than this are taken for loops. */
    private static final int LONGEST = 1_000_000;

    private final Host host;
    private final String domain;
    private final int max;
    private final Map<String, Integer> baseDepths = new ConcurrentHashMap<>();

    ChainReads(Host host, String domain, int max) {
        this.host = host;
        this.domain = domain;
        this.max = max;
    }

    /**
     * @param v the view read for planning
     * @param tops the images a new active layer is to stand on (create: the active images; revert: the snapshot's
     *             frozen images); a pull would go into them
     * @param above how many images will stand on each top (1: the new active layer)
     * @param extra images the operation adds on top besides (none today)
     * @return the depths planning needs
     */
    ChainDepths read(DomainView v, List<DiskImage> tops, int above, int extra) {
        Optional<EsmRecord> record = v.persistent().record();
        int unnamed = record.map(r -> r.unnamed().size()).orElse(0);
        List<DiskImage> bases = record.map(EsmRecord::base).filter(b -> !b.isEmpty()).orElse(tops);
        int deepestBase = 0;
        for (DiskImage b : bases) {
            deepestBase = Math.max(deepestBase, baseDepths.computeIfAbsent(b.path(), p -> chain(b, false, LONGEST).size()));
        }
        int bound = host.snapshotCount(domain) + unnamed + deepestBase + 1;
        // One more than a pull needs: planning also tells an overlay the next snapshot will pull into.
        if (bound + above + extra + 1 <= max) {
            return new ChainDepths(max, Map.of());
        }
        Map<String, List<ChainLink>> out = new LinkedHashMap<>();
        for (DiskImage top : tops) {
            // Headers only, as far as tells whether a pull is due; if it is, the chain once more with sizes.
            int most = Math.max(0, max - above - extra); // the longest chain that needs no pull
            List<ChainLink> links = chain(top, false, most + 1);
            out.put(top.path(), links.size() > most ? chain(top, true, LONGEST) : links);
        }
        return new ChainDepths(max, out);
    }

    /**
     * @param sizes whether to read each image's size: one {@link Storage#info} per image, which gives the backing
     *              image as well (a backing file of no recorded format is qcow2, as {@link Storage#backing} says);
     *              else only its header ({@link Storage#backing}), and every size is 0
     * @param most how many images to read at the most
     * @return the image and every image below it (up to {@code most} of them), top first, with the targets of
     *         {@code top}
     */
    private List<ChainLink> chain(DiskImage top, boolean sizes, int most) {
        Storage storage = host.storage();
        List<ChainLink> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Optional<DiskImage> i = Optional.of(top); i.isPresent() && seen.add(i.get().path())
                && out.size() < Math.min(most, LONGEST); ) {
            DiskImage img = new DiskImage(top.target(), i.get().path(), i.get().format());
            if (sizes) {
                ImageInfo info = storage.info(img.path(), img.format());
                out.add(new ChainLink(img, info.actualSize()));
                i = info.backing().map(b -> new DiskImage(top.target(), b,
                        info.backingFormat().orElse(ImageFormat.QCOW2)));
            } else {
                out.add(new ChainLink(img, 0));
                i = storage.backing(img.path(), img.format());
            }
        }
        return out;
    }
}
