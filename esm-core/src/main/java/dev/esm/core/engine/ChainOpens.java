package dev.esm.core.engine;

import dev.esm.api.DiskImage;
import dev.esm.api.Finding;
import dev.esm.api.Finding.Kind;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import dev.esm.api.Snapshot;
import dev.esm.core.model.DiskDef;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.plan.DomainView;
import dev.esm.core.port.Storage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code verify}'s judgement of every chain of a domain and of its snapshots as QEMU would open it: every backing
 * file reachable by the name its overlay records (relative names from the overlay's folder), every backing format
 * recorded (nothing probed), no overlay showing the guest less than the image below it (QEMU reads a qcow2 size in
 * whole 512-byte sectors, rounded down, and a raw file's length rounded up), and no encrypted image where libvirt
 * cannot give it its secret (below an overlay, or on a disk whose {@code <encryption>} is gone). Each image is read
 * once however many chains share it. Not thread-safe (one verify).
 */
final class ChainOpens {
    private static final long SECTOR = 512;

    private final Storage storage;
    private final List<Finding> problems;
    private final Map<String, Optional<ImageInfo>> infos = new HashMap<>();
    private final Set<String> reported = new HashSet<>();

    ChainOpens(Storage storage, List<Finding> problems) {
        this.storage = storage;
        this.problems = problems;
    }

    void check(DomainView v) {
        chains("the domain", v.persistent());
        v.live().ifPresent(l -> chains("the running domain", l));
        List<Snapshot> all = new ArrayList<>(v.tree().snapshots());
        v.tree().base().ifPresent(all::add);
        for (Snapshot s : all) {
            for (DiskImage img : s.images()) {
                chain("snapshot '" + s.name() + "'", Optional.of(s.name()), img, Optional.empty());
            }
        }
    }

    private void chains(String who, DomainDefinition def) {
        for (DiskDef d : def.eligibleDisks()) {
            if (d.format().isEmpty()) {
                report(Kind.UNSUPPORTED_FORMAT, Optional.empty(), d.target(), d.source(), who + ", " + d.target()
                        + ": the disk names " + d.driverType().map(t -> "the format '" + t
                        + "', which ESM does not handle").orElse("no format in <driver type=...>; libvirt then"
                        + " opens its image as raw, whatever it holds"));
            }
            d.image().ifPresent(img -> chain(who, Optional.empty(), img, Optional.of(d)));
        }
    }

    /** Walks one chain from its top, reporting the first thing that stops QEMU from opening it as it should. */
    private void chain(String who, Optional<String> snapshot, DiskImage top, Optional<DiskDef> disk) {
        if (!storage.exists(top.path())) {
            return; // the caller reports a missing top
        }
        DiskImage img = top;
        for (int depth = 0; depth < 1000; depth++) {
            String at = who + ", " + top.target() + ": ";
            Optional<ImageInfo> info = info(img);
            if (info.isEmpty()) {
                report(Kind.UNREADABLE_IMAGE, snapshot, top.target(), Optional.of(img.path()), at + "image " + img.path() + " cannot be read as " + img.format().id());
                return;
            }
            if (encrypted(img)) {
                if (depth > 0) {
                    report(Kind.ENCRYPTION, snapshot, top.target(), Optional.of(img.path()), at + "image " + img.path() + " is encrypted and lies below an overlay, where libvirt cannot"
                            + " give QEMU its secret: the chain does not open");
                } else if (disk.isPresent() && !disk.get().encrypted()) {
                    report(Kind.ENCRYPTION, snapshot, top.target(), Optional.of(img.path()), at + "image " + img.path() + " is encrypted but the disk has no <encryption> for it:"
                            + " the domain cannot start");
                }
            }
            if (img.format() != ImageFormat.QCOW2) {
                return;
            }
            Optional<Storage.BackingReference> ref;
            Optional<DiskImage> backing;
            try {
                ref = storage.backingReference(img.path(), img.format());
                backing = storage.backing(img.path(), img.format());
            } catch (RuntimeException e) {
                report(Kind.UNREADABLE_IMAGE, snapshot, top.target(), Optional.of(img.path()), at + "the header of " + img.path() + " cannot be read: " + e.getMessage());
                return;
            }
            if (ref.isEmpty() || backing.isEmpty()) {
                return;
            }
            DiskImage below = new DiskImage(top.target(), backing.get().path(), backing.get().format());
            if (ref.get().format().isEmpty()) {
                report(Kind.BACKING_FORMAT, snapshot, top.target(), Optional.of(img.path()), at + img.path() + " names its backing file '" + ref.get().name() + "' without its format:"
                        + " libvirt refuses to probe it (record it with qemu-img rebase -u -F <format>)");
            } else if (ImageFormat.fromId(ref.get().format().get()).isEmpty()) {
                report(Kind.BACKING_FORMAT, snapshot, top.target(), Optional.of(img.path()), at + img.path() + " records the backing format '" + ref.get().format().get()
                        + "', which ESM does not handle");
                return;
            }
            if (!storage.exists(below.path())) {
                report(Kind.BACKING_MISSING, snapshot, top.target(), Optional.of(below.path()), at + "backing file " + below.path() + " of " + img.path() + " is missing"
                        + (ref.get().relative() ? " (named '" + ref.get().name() + "', relative to "
                        + dev.esm.core.model.Names.directory(img.path()) + ")" : "")
                        + ": the chain does not open");
                return;
            }
            Optional<ImageInfo> belowInfo = info(below);
            if (belowInfo.isPresent()) {
                long shown = guestSize(info.get());
                long had = guestSize(belowInfo.get());
                if (shown < had) {
                    report(Kind.SIZE_MISMATCH, snapshot, top.target(), Optional.of(img.path()), at + img.path() + " shows the guest " + shown + " bytes of the " + had + " bytes of "
                            + below.path() + ": the last " + (had - shown) + " bytes cannot be reached");
                }
            }
            img = below;
        }
    }

    /** @return the bytes QEMU shows a guest of an image: qcow2 sizes rounded down, raw lengths up, to sectors */
    private static long guestSize(ImageInfo i) {
        return i.format() == ImageFormat.QCOW2 ? i.virtualSize() / SECTOR * SECTOR
                : (i.virtualSize() + SECTOR - 1) / SECTOR * SECTOR;
    }

    private boolean encrypted(DiskImage img) {
        try {
            return storage.encrypted(img.path(), img.format());
        } catch (RuntimeException e) {
            return false; // reported as unreadable by info
        }
    }

    private Optional<ImageInfo> info(DiskImage img) {
        return infos.computeIfAbsent(img.path(), p -> {
            try {
                return Optional.of(storage.info(p, img.format()));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        });
    }

    /** Reports a problem once, in the first chain it is found in (lower images are shared by many chains). */
    private void report(Kind kind, Optional<String> snapshot, String disk, Optional<String> path, String problem) {
        String what = problem.substring(problem.indexOf(": ") + 2);
        if (reported.add(what)) {
            problems.add(new Finding(kind, snapshot, Optional.of(disk), path, problem));
        }
    }
}
