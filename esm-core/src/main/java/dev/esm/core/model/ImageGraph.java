package dev.esm.core.model;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The images of a domain and who stands on whom: every image reachable from the active layers and the
 * snapshots' frozen images, with its backing image as read from its header. Immutable once built.
 */
public final class ImageGraph {
    /**
     * One image.
     *
     * @param image the image (its disk target, path, format)
     * @param backing its backing image, if any
     */
    public record Node(DiskImage image, Optional<DiskImage> backing) {
    }

    private final Map<String, Node> nodes;
    private final Map<String, List<String>> dependents;

    private ImageGraph(Map<String, Node> nodes) {
        this.nodes = nodes;
        Map<String, List<String>> deps = new HashMap<>();
        for (Node n : nodes.values()) {
            n.backing().ifPresent(b -> deps.computeIfAbsent(b.path(), k -> new ArrayList<>()).add(n.image().path()));
        }
        this.dependents = deps;
    }

    /**
     * Walks the images down from the given tops.
     *
     * @param tops the images to start from (active layers, frozen images, base images)
     * @param readBacking reads an image's header: its backing image (with the format recorded there), if any
     * @return the graph
     */
    public static ImageGraph walk(List<DiskImage> tops, BiFunction<String, ImageFormat, Optional<DiskImage>> readBacking) {
        Map<String, Node> nodes = new LinkedHashMap<>();
        for (DiskImage top : tops) {
            DiskImage img = top;
            while (img != null && !nodes.containsKey(img.path())) {
                Optional<DiskImage> backing = readBacking.apply(img.path(), img.format())
                        .map(b -> new DiskImage(top.target(), b.path(), b.format()));
                nodes.put(img.path(), new Node(img, backing));
                img = backing.orElse(null);
            }
        }
        return new ImageGraph(nodes);
    }

    /** @return the node of a path, if known */
    public Optional<Node> node(String path) {
        return Optional.ofNullable(nodes.get(path));
    }

    /** @return the backing image of a path, if any */
    public Optional<DiskImage> backing(String path) {
        return node(path).flatMap(Node::backing);
    }

    /** @return the images whose backing image is {@code path} */
    public List<String> dependents(String path) {
        return dependents.getOrDefault(path, List.of());
    }

    /** @return {@code path} and every image below it, top first */
    public List<String> chain(String path) {
        List<String> out = new ArrayList<>();
        for (Optional<String> p = Optional.of(path); p.isPresent() && !out.contains(p.get());
             p = backing(p.get()).map(DiskImage::path)) {
            out.add(p.get());
        }
        return out;
    }

    /** @return every known path */
    public Set<String> paths() {
        return nodes.keySet();
    }
}
