package dev.esm.api;

import java.util.Objects;
import java.util.Optional;

/**
 * One thing {@link DomainSnapshots#check()} found wrong with a domain's snapshots, images or metadata, in a form a
 * program can act on: what kind of problem, which snapshot, disk and file it concerns, and a sentence for people
 * (the same sentence {@link DomainSnapshots#verify()} returns).
 *
 * @param kind what kind of problem it is
 * @param snapshot the snapshot it concerns ({@code base} for the base), if any
 * @param disk the disk's target ({@code vda}), if it concerns one disk
 * @param path the file it concerns (an image, a memory file, a stray file), if any
 * @param message what is wrong and, where it helps, what to do, for people
 */
public record Finding(Kind kind, Optional<String> snapshot, Optional<String> disk, Optional<String> path,
                      String message) {

    /** The kinds of problem {@code check()} finds. */
    public enum Kind {
        /** An operation was interrupted and not finished yet: run {@link DomainSnapshots#recover()}. */
        UNFINISHED_OPERATION,
        /**
         * Another client holds the domain's lock: an operation may be in progress, and what was read may be part-way
         * through it. Read again when it has finished; nothing else is reported meanwhile.
         */
        OPERATION_IN_PROGRESS,
        /** A snapshot's image, or the domain's active image, is missing. */
        IMAGE_MISSING,
        /** A memory snapshot's memory file is missing (its disks can still be reverted to). */
        MEMORY_FILE_MISSING,
        /** A snapshot's chain does not end at the base image. */
        CHAIN_OFF_BASE,
        /** The domain writes into an image a snapshot has frozen. */
        ACTIVE_IMAGE_FROZEN,
        /** The domain's active layer does not stand on the current snapshot's image. */
        ACTIVE_OFF_CURRENT,
        /** A disk names no format, or one ESM does not handle. */
        UNSUPPORTED_FORMAT,
        /** An image or its header cannot be read. */
        UNREADABLE_IMAGE,
        /** An encrypted image where libvirt cannot give QEMU its secret. */
        ENCRYPTION,
        /** An overlay names its backing file without its format, or with one ESM does not handle. */
        BACKING_FORMAT,
        /** A backing file is missing: the chain does not open. */
        BACKING_MISSING,
        /** An overlay shows the guest fewer bytes than the image below it. */
        SIZE_MISMATCH,
        /** A file in ESM's folder belongs to no snapshot and no active layer. */
        STRAY_FILE
    }

    /**
     * Checks the components.
     *
     * @param kind what kind of problem it is
     * @param snapshot the snapshot it concerns ({@code base} for the base), if any
     * @param disk the disk's target ({@code vda}), if it concerns one disk
     * @param path the file it concerns (an image, a memory file, a stray file), if any
     * @param message what is wrong and, where it helps, what to do, for people
     * @throws NullPointerException if a component is null
     */
    public Finding {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return message;
    }
}
