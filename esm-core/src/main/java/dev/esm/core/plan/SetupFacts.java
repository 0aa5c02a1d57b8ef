package dev.esm.core.plan;

import dev.esm.api.DiskImage;
import java.util.Map;

/**
 * What setup must know of the images it moves, read from the host before planning.
 *
 * @param links the disks' images that are symbolic links: image path to the link's text
 * @param backings the backing reference of each image that has one, by image path
 */
public record SetupFacts(Map<String, String> links, Map<String, Backing> backings) {
    public SetupFacts {
        links = Map.copyOf(links);
        backings = Map.copyOf(backings);
    }

    /** Nothing known: no links, no backing files. */
    public static final SetupFacts NONE = new SetupFacts(Map.of(), Map.of());

    /**
     * An image's backing reference.
     *
     * @param reference the name as the image's header records it
     * @param resolved the backing image it names (an absolute path) with the recorded format
     * @param formatRecorded whether the header records the backing format (else QEMU would have to probe it)
     */
    public record Backing(String reference, DiskImage resolved, boolean formatRecorded) {
        /** @return whether the name is relative to the image's folder: it would dangle once the image moves */
        public boolean relative() {
            return !reference.startsWith("/");
        }
    }
}
