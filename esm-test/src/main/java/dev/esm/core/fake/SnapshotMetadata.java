package dev.esm.core.fake;

import dev.esm.api.DiskImage;
import dev.esm.api.errors.SnapshotNotFoundException;
import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.xml.SnapshotXml;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One fake domain's snapshot metadata, with libvirt's rules: snapshots in the order they were made, one of them
 * current; a new snapshot becomes current; a redefined one must name a parent that exists; removing one re-parents its
 * children onto its parent and makes that parent current if the removed one was. Not thread-safe: {@link FakeHost}
 * holds its lock around every call.
 */
final class SnapshotMetadata {
    private final Map<String, String> xmls = new LinkedHashMap<>();
    private String current;
    /** Moves with every change, as libvirt's metadata directory's stamp does. */
    private long generation;

    /** @return every snapshot's XML, in the order they were made */
    List<String> xmls() {
        return new ArrayList<>(xmls.values());
    }

    /** @return every snapshot's name, in the order of {@link #xmls} */
    List<String> names() {
        return new ArrayList<>(xmls.keySet());
    }

    long generation() {
        return generation;
    }

    int count() {
        return xmls.size();
    }

    boolean contains(String name) {
        return xmls.containsKey(name);
    }

    String xml(String name) {
        String xml = xmls.get(name);
        if (xml == null) {
            throw new SnapshotNotFoundException("no snapshot '" + name + "'");
        }
        return xml;
    }

    Optional<String> current() {
        return Optional.ofNullable(current);
    }

    /** Records a snapshot just taken, with its full XML (its parent the current one), as the current one. */
    void add(String name, String fullXml) {
        xmls.put(name, fullXml);
        current = name;
        generation++;
    }

    /** Adds or replaces a snapshot's metadata as given, as libvirt's {@code REDEFINE} does. */
    void redefine(String xml, boolean makeCurrent) {
        SnapshotDefinition s = SnapshotXml.parse(xml);
        s.parent().ifPresent(p -> {
            if (!xmls.containsKey(p)) {
                throw FakeErrors.invalid("parent " + p + " for snapshot " + s.name() + " not found");
            }
        });
        xmls.put(s.name(), xml);
        generation++;
        if (makeCurrent) {
            current = s.name();
        }
    }

    /** Removes a snapshot's metadata (not its files), as libvirt's {@code METADATA_ONLY} delete does. */
    void delete(String name) {
        SnapshotDefinition removed = SnapshotXml.parse(xml(name));
        Optional<String> parent = removed.parent();
        Map<String, DiskImage> removedImages = new HashMap<>();
        removed.images().forEach(i -> removedImages.put(i.target(), i));
        xmls.remove(name);
        generation++;
        for (Map.Entry<String, String> e : xmls.entrySet()) {
            if (SnapshotXml.parse(e.getValue()).parent().equals(Optional.of(name))) {
                // As libvirt 9.0 does: children get the removed snapshot's parent, and its disk sources too.
                e.setValue(SnapshotXml.withImages(SnapshotXml.withParent(e.getValue(), parent), removedImages));
            }
        }
        if (name.equals(current)) {
            // As libvirt does: the parent of a removed current snapshot becomes current.
            current = parent.orElse(null);
        }
    }
}
