package dev.esm.core.model;

import dev.esm.api.DiskImage;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A parsed libvirt domain definition, as far as ESM needs it.
 *
 * @param name the domain's name
 * @param uuid the domain's UUID
 * @param disks every {@code <disk>}, in document order
 * @param record ESM's record, if the domain has one
 * @param xml the document it was parsed from
 * @param nvram the file holding the firmware's variables (UEFI VARS: {@code <os><nvram>}), if the domain has one
 *              as a local file
 * @param tpmState the file holding the persistent state of the domain's emulated TPM (swtpm's {@code
 *                 tpm2-00.permall}, or {@code tpm-00.permall} for TPM 1.2), if the domain has an emulated TPM;
 *                 empty for none, and for a passthrough or external TPM (no state ESM could keep)
 */
public record DomainDefinition(String name, String uuid, List<DiskDef> disks, Optional<EsmRecord> record,
                               String xml, Optional<String> nvram, Optional<String> tpmState) {
    public DomainDefinition {
        disks = List.copyOf(disks);
        Objects.requireNonNull(nvram, "nvram");
        Objects.requireNonNull(tpmState, "tpmState");
    }

    /** A definition without firmware state (no variables file, no emulated TPM). */
    public DomainDefinition(String name, String uuid, List<DiskDef> disks, Optional<EsmRecord> record, String xml) {
        this(name, uuid, disks, record, xml, Optional.empty(), Optional.empty());
    }

    /** @return the disks that take part in snapshots */
    public List<DiskDef> eligibleDisks() {
        return disks.stream().filter(DiskDef::eligible).toList();
    }

    /** @return the disk with this target, if any */
    public Optional<DiskDef> disk(String target) {
        return disks.stream().filter(d -> d.target().equals(target)).findFirst();
    }

    /** @return the active image of each eligible disk whose format ESM knows */
    public List<DiskImage> activeImages() {
        return eligibleDisks().stream().flatMap(d -> d.image().stream()).toList();
    }
}
