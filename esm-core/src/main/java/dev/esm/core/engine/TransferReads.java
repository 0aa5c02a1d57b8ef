package dev.esm.core.engine;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageFormat;
import dev.esm.api.errors.InvalidOperationException;
import dev.esm.core.model.DiskDef;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.model.EsmRecord;
import dev.esm.core.model.Names;
import dev.esm.core.model.SnapshotDefinition;
import dev.esm.core.plan.DomainView;
import dev.esm.core.plan.Firmware;
import dev.esm.core.plan.TransferFile;
import dev.esm.core.port.Storage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds every file of a domain that a move or replication sends: each disk's chains (the active layer, every
 * snapshot's image, the base, and whatever their headers name below), memory files, the firmware variables, an
 * emulated TPM's state, and every snapshot's copy of those two; with what each frozen file belongs to and each image's backing reference. Reads only.
 * Thread-safety: one per operation, on its thread.
 */
final class TransferReads {
    private final Storage storage;

    TransferReads(Storage storage) {
        this.storage = storage;
    }

    /**
     * @param view the domain as planning reads it
     * @return its files, each once
     * @throws InvalidOperationException for a domain ESM has not set up
     */
    List<TransferFile> files(DomainView view) {
        DomainDefinition def = view.persistent();
        EsmRecord record = def.record().orElseThrow(() -> new InvalidOperationException("domain '" + def.name()
                + "' is not set up for ESM: run setup first, or move it with libvirt"));
        String base = "base@" + record.frozenAt();
        Map<String, String> owners = new LinkedHashMap<>();
        for (SnapshotDefinition s : view.snapshots()) {
            String owner = "snapshot:" + s.name() + "@" + s.creationTime();
            s.images().forEach(i -> owners.putIfAbsent(i.path(), owner));
            s.memoryFile().ifPresent(m -> owners.putIfAbsent(m, owner));
            for (Firmware.State state : Firmware.State.values()) {
                Firmware.copyOf(state, def.record(), s.toApi()).filter(storage::exists)
                        .ifPresent(c -> owners.putIfAbsent(c, owner));
            }
        }
        for (Firmware.State state : Firmware.State.values()) {
            record.disksDir().map(d -> state.copyPath(d, DomainSnapshots.BASE)).filter(storage::exists)
                    .ifPresent(c -> owners.putIfAbsent(c, base));
        }
        record.base().forEach(i -> owners.putIfAbsent(i.path(), base));

        Map<String, TransferFile> files = new LinkedHashMap<>();
        for (DiskDef disk : def.eligibleDisks()) {
            Deque<DiskImage> todo = new ArrayDeque<>();
            disk.image().ifPresent(todo::add);
            for (SnapshotDefinition s : view.snapshots()) {
                s.image(disk.target()).ifPresent(todo::add);
            }
            record.baseImage(disk.target()).ifPresent(todo::add);
            String activePath = disk.image().map(DiskImage::path).orElse("");
            while (!todo.isEmpty()) {
                DiskImage image = todo.poll();
                boolean active = image.path().equals(activePath);
                if (files.containsKey(image.path())) {
                    continue;
                }
                Optional<Storage.BackingReference> ref = storage.backingReference(image.path(), image.format());
                Optional<TransferFile.Backing> backing = ref.map(r -> new TransferFile.Backing(new DiskImage(
                        disk.target(), r.relative() ? Names.join(Names.directory(image.path()), r.name()) : r.name(),
                        r.format().flatMap(ImageFormat::fromId).orElse(ImageFormat.QCOW2)), r.relative()));
                Optional<String> frozen = active ? Optional.empty()
                        : Optional.of(owners.getOrDefault(image.path(), "chain@" + record.frozenAt()));
                files.put(image.path(), new TransferFile(image.path(), storage.size(image.path()), frozen, backing,
                        active));
                backing.ifPresent(b -> todo.add(b.image()));
            }
        }
        owners.forEach((path, owner) -> {
            if (!files.containsKey(path)) {
                files.put(path, new TransferFile(path, storage.size(path), Optional.of(owner), Optional.empty(),
                        false));
            }
        });
        for (Firmware.State state : Firmware.State.values()) {
            state.fileOf(def).filter(storage::exists).ifPresent(n -> files.putIfAbsent(n,
                    new TransferFile(n, storage.size(n), Optional.empty(), Optional.empty(), false)));
        }
        return new ArrayList<>(files.values());
    }
}
