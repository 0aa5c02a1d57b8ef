package dev.esm.core.fake;

import static dev.esm.core.fake.FakeErrors.invalid;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.port.SnapshotFlag;
import dev.esm.core.xml.Xml;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.w3c.dom.Element;

/** What a snapshot request to the fake host asks for, checked as libvirt checks it. Stateless. */
final class FakeSnapshotRequests {
    private FakeSnapshotRequests() {
    }

    /** @return each disk's prepared overlay, checked to stand on the disk's current image */
    static Map<String, DiskImage> overlays(Element root, DomainDefinition active, FakeStorage storage) {
        Map<String, DiskImage> overlays = new HashMap<>();
        for (Element disk : Xml.path(root, "disks", "disk")) {
            if (!"external".equals(disk.getAttribute("snapshot"))) {
                continue;
            }
            String target = disk.getAttribute("name");
            String file = Xml.child(disk, "source").orElseThrow().getAttribute("file");
            DiskImage current = active.disk(target).flatMap(x -> x.image())
                    .orElseThrow(() -> invalid("no disk " + target));
            var info = storage.info(file, ImageFormat.QCOW2);
            if (!info.backing().equals(Optional.of(current.path()))) {
                throw invalid("overlay " + file + " is not backed by " + current.path());
            }
            overlays.put(target, new DiskImage(target, file, ImageFormat.QCOW2));
        }
        return overlays;
    }

    /** @return the external memory file asked for; refused when it contradicts the flags */
    static Optional<String> memoryFile(Element root, Set<SnapshotFlag> flags) {
        Optional<String> memory = Xml.child(root, "memory").filter(m -> "external".equals(m.getAttribute("snapshot")))
                .map(m -> m.getAttribute("file"));
        if (memory.isPresent() == flags.contains(SnapshotFlag.DISK_ONLY)) {
            throw invalid(flags.contains(SnapshotFlag.DISK_ONLY) ? "disk-only snapshot with memory"
                    : "the fake host takes external memory only (memory snapshot='external' file=...)");
        }
        return memory;
    }
}
