package dev.esm.core.plan;

import dev.esm.api.DiskImage;
import dev.esm.api.PlanStep;
import dev.esm.api.StepKind;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One step of a move or replication between two hosts ({@link TransferPlanner}): what is done on the target (copy,
 * define, verify) and, for a move, on this host once the target is whole. Each is safe to repeat.
 */
public sealed interface TransferStep {

    /** @return the step as the API's plan shows it */
    PlanStep describe();

    /**
     * Copies a file to the target, checked by the CRC32C of what the target reads back.
     *
     * @param from its path here
     * @param to its path on the target
     * @param bytes its length
     * @param frozen what it belongs to, when it never changes (recorded on the target so it is not sent again)
     */
    record Copy(String from, String to, long bytes, Optional<String> frozen) implements TransferStep {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.COPY_FILE, "copy " + from + " to " + to + " on the target", Optional.empty(),
                    Optional.empty(), List.of(from, to), OptionalLong.of(bytes));
        }
    }

    /** Points a copied image's header at its backing file's path on the target (no data changes). */
    record Rebase(String image, DiskImage backing) implements TransferStep {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.REBASE, "on the target, point " + image + " at " + backing.path(),
                    Optional.empty(), Optional.empty(), List.of(image, backing.path()), OptionalLong.empty());
        }
    }

    /** Makes an empty overlay on the target where the domain's active layer is (a standby's disk). */
    record Overlay(String path, DiskImage backing) implements TransferStep {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.CREATE_OVERLAY, "on the target, create empty overlay " + path + " on "
                    + backing.path(), Optional.empty(), Optional.empty(), List.of(path), OptionalLong.empty());
        }
    }

    /** Defines the domain on the target. */
    record Define(String xml) implements TransferStep {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.DEFINE_ON_TARGET, "define the domain on the target");
        }
    }

    /**
     * Makes the target's snapshot metadata this host's: removes what is not here, redefines the rest parents first.
     *
     * @param xmls the snapshots' XML as the target names files, parents before children
     * @param current the current snapshot, if any
     */
    record Redefine(List<String> xmls, Optional<String> current) implements TransferStep {
        public Redefine {
            xmls = List.copyOf(xmls);
        }

        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.REDEFINE_ON_TARGET, "redefine " + xmls.size() + " snapshot"
                    + (xmls.size() == 1 ? "" : "s") + " on the target" + current.map(c -> " (current: " + c + ")")
                    .orElse(""));
        }
    }

    /** Removes a file from the target that no snapshot here needs any more (a replication after a delete). */
    record RemoveOnTarget(String path) implements TransferStep {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.REMOVE_FILE, "on the target, remove " + path + " (its snapshot is gone)",
                    Optional.empty(), Optional.empty(), List.of(path), OptionalLong.empty());
        }
    }

    /** Checks the target: every snapshot there, every file in place, the record of what it holds written. */
    record Verify() implements TransferStep {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.VERIFY_TARGET, "verify the domain on the target");
        }
    }

    /** Removes the domain's definition and snapshot metadata here (a move, once the target is verified). */
    record Undefine() implements TransferStep {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.UNDEFINE_DOMAIN, "remove the domain and its snapshot metadata from this host");
        }
    }

    /**
     * Puts the snapshots' metadata aside here, kept in the journal (libvirt refuses to migrate a domain with
     * snapshots): before a live move's migration, redefined here if it fails.
     *
     * @param xmls the snapshots' XML as this host names files, parents before children
     * @param current the current snapshot, if any
     */
    record Aside(List<String> xmls, Optional<String> current) implements TransferStep {
        public Aside {
            xmls = List.copyOf(xmls);
        }

        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.REMOVE_SNAPSHOT, "put the metadata of " + xmls.size() + " snapshot"
                    + (xmls.size() == 1 ? "" : "s") + " aside here (kept in the journal) for the migration");
        }
    }

    /**
     * Migrates the running domain live to the target: only the disks' active layers are copied, onto the overlays
     * made there on the frozen images sent before.
     *
     * @param disks the disks whose active layers are copied
     * @param address where this host's QEMU reaches the target's, if not the target's name
     * @param firmware the firmware variables file here, when the domain is left paused there until it is copied
     *                 ({@link Firmware}) and the domain resumed ({@link Resume})
     */
    record Migrate(List<String> disks, Optional<String> address, Optional<String> firmware) implements TransferStep {
        public Migrate {
            disks = List.copyOf(disks);
        }

        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.MIGRATE, "migrate the running domain to the target, copying the active"
                    + " layers of " + String.join(", ", disks) + address.map(a -> " (streams to " + a + ")")
                    .orElse("") + (firmware.isPresent() ? ", and leave it paused there" : ""));
        }
    }

    /**
     * Copies the firmware variables file as the guest left it here over the one there, in place (QEMU holds it open
     * there), while the migrated domain waits paused: what the guest wrote to its variables during the migration is
     * in the file. Its failure does not fail the move: the guest's variables are in its memory there.
     *
     * @param from the file here
     * @param to the file there
     */
    record Firmware(String from, String to) implements TransferStep {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.COPY_FILE, "copy the firmware variables the guest left in " + from
                    + " over " + to + " on the target, in place, while it waits paused there");
        }
    }

    /** Resumes the migrated domain on the target. */
    record Resume() implements TransferStep {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.RESUME_DOMAIN, "resume the domain on the target");
        }
    }

    /** Removes a file here (a move, once the domain is undefined here). */    /** Removes a file here (a move, once the domain is undefined here). */
    record RemoveHere(String path) implements TransferStep {
        @Override
        public PlanStep describe() {
            return new PlanStep(StepKind.REMOVE_FILE, "remove " + path + " from this host", Optional.empty(),
                    Optional.empty(), List.of(path), OptionalLong.empty());
        }
    }
}
