package dev.esm.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.esm.api.DiskImage;
import dev.esm.api.Snapshot;
import dev.esm.api.SnapshotChain;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.port.Host;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.plan.Firmware;
import dev.esm.core.xml.SnapshotXml;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** Checks docs/semantics.md's invariants on a domain, through the port (libvirt's own view) and the bed. */
public final class Invariants {
    private Invariants() {
    }

    /**
     * Checks invariants 1, 3, 4 (when set up) and 6.
     *
     * @param expected the pattern each snapshot's frozen image of each disk must read (invariant 1)
     */
    public static void check(Bed bed, String domain, Map<String, Map<String, Integer>> expected) {
        SnapshotChain chain = bed.manager().domain(domain).chain();
        Host host = bed.host();
        // 6. libvirt's metadata agrees with the library.
        Map<String, Optional<String>> libvirtParents = new TreeMap<>();
        for (String xml : host.snapshotXmls(domain)) {
            SnapshotDefinition s = SnapshotXml.parse(xml);
            libvirtParents.put(s.name(), s.parent());
        }
        Map<String, Optional<String>> esmParents = new TreeMap<>();
        chain.snapshots().forEach(s -> esmParents.put(s.name(), s.parent()));
        assertEquals(libvirtParents, esmParents, "libvirt's snapshot tree differs from ESM's");
        Optional<String> current = chain.current().filter(s -> !s.isBase()).map(Snapshot::name);
        assertEquals(host.currentSnapshot(domain), current, "libvirt's current snapshot differs from ESM's");

        // 3. every referenced image exists; every chain ends at the base.
        DomainDefinition def = DomainXml.parse(host.domainXml(domain, false));
        Set<String> referenced = new HashSet<>();
        Snapshot base = chain.base().orElse(null);
        for (Snapshot s : chain.snapshots()) {
            for (DiskImage img : s.images()) {
                referenced.addAll(chainTo(bed, img, base));
            }
            s.memoryFile().ifPresent(m -> {
                assertTrue(host.storage().exists(m), "the memory file " + m + " of '" + s.name() + "' is missing");
                referenced.add(m);
            });
        }
        Optional<Snapshot> cur = chain.current();
        for (DiskImage active : def.activeImages()) {
            assertTrue(host.storage().exists(active.path()), "active image " + active.path() + " is missing");
            referenced.add(active.path());
            if (cur.isPresent()) {
                DiskImage frozen = cur.get().image(active.target()).orElseThrow();
                Set<String> below = chainTo(bed, new DiskImage(active.target(), active.path(), active.format()), base);
                below.remove(active.path());
                // On the current image, or on an image of its chain: a pull took in the data above it. Unnamed
                // images between count as the active layer's own (a deleted current snapshot's, say).
                Set<String> unnamed = new HashSet<>();
                def.record().ifPresent(r -> r.unnamed().forEach(u -> unnamed.add(u.path())));
                Set<String> currentChain = chainTo(bed, frozen, base);
                boolean pulled = false;
                Optional<String> p = host.storage().info(active.path(), active.format()).backing();
                while (p.isPresent() && unnamed.contains(p.get())) {
                    p = host.storage().info(p.get(), dev.esm.api.ImageFormat.QCOW2).backing();
                }
                pulled = p.isPresent() && currentChain.contains(p.get());
                assertTrue(below.contains(frozen.path()) || pulled, "the active layer of " + active.target()
                        + " does not stand on the current snapshot's image " + frozen.path() + " (chain: " + below + ")");
                referenced.addAll(below);
            }
        }
        if (base != null) {
            base.images().forEach(i -> referenced.add(i.path()));
        }
        for (Firmware.State state : Firmware.State.values()) {
            if (state.fileOf(def).isEmpty()) {
                continue;
            }
            // Firmware copies (UEFI variables, TPM state): each snapshot's (and setup's base's) exists and is its.
            List<Snapshot> owners = new java.util.ArrayList<>(chain.snapshots());
            chain.base().ifPresent(owners::add);
            for (Snapshot s : owners) {
                Firmware.copyOf(state, def.record(), s).ifPresent(f -> {
                    assertTrue(host.storage().exists(f) || (s.isBase() && def.record().flatMap(r -> r.disksDir())
                            .isEmpty()), "the copy " + f + " of " + state.what() + " of '" + s.name() + "' is missing");
                    if (host.storage().exists(f)) {
                        referenced.add(f);
                    }
                });
            }
        }
        // 4. no orphans in the folder ESM manages.
        def.record().flatMap(r -> r.disksDir()).ifPresent(dir -> assertEquals(new java.util.TreeSet<>(
                referenced.stream().filter(p -> p.startsWith(dir + "/")).toList()), bed.files(dir),
                "files in " + dir + " that nothing references, or references to missing files"));

        // 1. every snapshot reads what it read when it was taken.
        for (Map.Entry<String, Map<String, Integer>> e : expected.entrySet()) {
            Snapshot s = chain.get(e.getKey());
            for (Map.Entry<String, Integer> disk : e.getValue().entrySet()) {
                DiskImage img = s.image(disk.getKey()).orElseThrow();
                assertTrue(bed.imageReads(img, disk.getValue()), "snapshot '" + s.name() + "' disk " + disk.getKey()
                        + " no longer reads pattern " + disk.getValue());
            }
        }
    }

    /** @return the images from {@code img} down its backing chain; fails if the chain does not reach the base */
    private static Set<String> chainTo(Bed bed, DiskImage img, Snapshot base) {
        Set<String> out = new HashSet<>();
        Map<String, Boolean> seen = new HashMap<>();
        String path = img.path();
        var format = img.format();
        String basePath = base == null ? null : base.image(img.target()).map(DiskImage::path).orElse(null);
        while (true) {
            assertTrue(bed.host().storage().exists(path), "image " + path + " is missing");
            out.add(path);
            if (path.equals(basePath) || seen.put(path, true) != null) {
                return out;
            }
            var info = bed.host().storage().info(path, format);
            Optional<String> backing = info.backing();
            if (backing.isEmpty()) {
                if (basePath != null) {
                    fail("the chain of " + img.path() + " ends at " + path + ", not at the base " + basePath);
                }
                return out;
            }
            path = backing.get();
            format = info.backingFormat().orElse(path.equals(basePath)
                    ? base.image(img.target()).orElseThrow().format() : dev.esm.api.ImageFormat.QCOW2);
        }
    }
}
