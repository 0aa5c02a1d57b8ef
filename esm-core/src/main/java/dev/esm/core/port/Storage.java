package dev.esm.core.port;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import java.util.Optional;

/**
 * Every operation on image files ESM makes, on the domain's host (the state ESM keeps for each domain is the
 * {@link StateStore}'s). Paths are the host's. New files are created exclusively (never over an existing file) and
 * readable by their owner only. Implementations are
 * thread-safe; failures are {@link dev.esm.api.errors.StorageException}s naming the path.
 */
public interface Storage {

    /** @return whether something exists at the path */
    boolean exists(String path);

    /**
     * Like {@link #exists}, but may answer false for a file made behind the storage's back since it last looked
     * (a storage that must rescan a folder to be sure skips that). For choosing names of new files only: their
     * exclusive creation catches the rest. The default asks {@link #exists}.
     *
     * @return whether something is known to exist at the path
     */
    default boolean existsCheaply(String path) {
        return exists(path);
    }

    /**
     * Reads an image's header, opening it with the given format (never probing).
     *
     * @return what the image is
     */
    ImageInfo info(String path, ImageFormat format);

    /**
     * Reads only an image's backing reference (path and recorded format), as cheaply as the storage can; the
     * default asks {@link #info}.
     *
     * @return the backing image (its target left as given), if any
     */
    default java.util.Optional<DiskImage> backing(String path, ImageFormat format) {
        ImageInfo i = info(path, format);
        return i.backing().map(b -> new DiskImage("?", b, i.backingFormat().orElse(ImageFormat.QCOW2)));
    }

    /**
     * An image's backing reference exactly as its header records it.
     *
     * @param name the backing file name as written (relative names are relative to the image's folder)
     * @param format the backing format recorded in the header (its id, e.g. {@code raw}), if one is recorded
     */
    record BackingReference(String name, Optional<String> format) {
        /** @return whether the name is relative to the image's folder (so moving the image breaks the chain) */
        public boolean relative() {
            return !name.startsWith("/");
        }
    }

    /**
     * Reads an image's backing reference as written in its header: the name (relative or absolute) and whether a
     * format is recorded. The default derives it from {@link #backing} (so it cannot tell relative names or
     * missing formats apart); the storages ESM ships read the header.
     *
     * @return the reference, if the image has a backing file
     */
    default Optional<BackingReference> backingReference(String path, ImageFormat format) {
        return backing(path, format).map(b -> new BackingReference(b.path(), Optional.of(b.format().id())));
    }

    /**
     * @return whether the image is encrypted (a qcow2 image with LUKS or AES encryption, or a LUKS volume declared
     *     raw), so that QEMU needs a secret to open it; the default cannot tell and says no
     */
    default boolean encrypted(String path, ImageFormat format) {
        return false;
    }

    /**
     * @return whether a qcow2 image has subclusters ({@code extended_l2}); the default cannot tell and says no
     */
    default boolean subclusters(String path) {
        return false;
    }

    /**
     * @return where a symbolic link at {@code path} points (as written in the link), or empty when {@code path}
     *     is not a symbolic link (or the storage cannot tell)
     */
    default Optional<String> symbolicLink(String path) {
        return Optional.empty();
    }

    /**
     * Creates an empty qcow2 overlay on top of {@code backing}, recording the backing's format in the header.
     * Fails if {@code path} exists.
     */
    void createOverlay(String path, DiskImage backing);

    /**
     * Creates an empty qcow2 overlay that a later live pull is to go into (its chain is at the depth limit: the next
     * snapshot on it pulls into it, {@link dev.esm.core.plan.DepthLimit}). A storage whose hypervisor cannot pull into
     * every layout lays this one out as it can; the default makes an ordinary overlay.
     */
    default void createPullableOverlay(String path, DiskImage backing) {
        createOverlay(path, backing);
    }

    /**
     * @return the bytes a file (e.g. a memory file) takes on the host
     * @throws dev.esm.api.errors.StorageException if it does not exist
     */
    long size(String path);

    /** Creates a folder (and its parents) reachable by the hypervisor; fine if it exists. */
    void makeDirectory(String path);

    /**
     * Gives an image a second name: a hard link where possible, else a copy that is flushed to stable storage
     * and verified before this returns. The original is untouched. Fails if {@code to} exists.
     */
    void place(String from, String to);

    /**
     * Copies a small file (firmware variables, a TPM's state) byte for byte, replacing {@code to} if it exists; the
     * copy is verified, never a link (the two files change apart), and exactly as long as {@code from}. A new
     * {@code to} is owner-only; a replaced one keeps its owner, group and permissions (a state file another user's
     * process reads: swtpm runs as its own user, {@code tss} on Debian). The default removes {@code to} and calls
     * {@link #place}, so it keeps neither: an implementation whose {@code place} may link, or that can keep them,
     * must override it.
     *
     * @param from the file to copy; only read
     * @param to where the copy goes
     */
    default void copy(String from, String to) {
        remove(to);
        place(from, to);
    }

    /**
     * Offline merge: writes {@code top}'s data (and that of every image between) into {@code base}, which must
     * be in {@code top}'s backing chain; {@code top} keeps its data. Reports progress; cancellation stops it
     * and throws {@link dev.esm.api.errors.OperationCancelledException}.
     */
    void commit(String top, String base, String disk, dev.esm.api.ProgressListener listener, Cancellation cancel);

    /**
     * Offline pull: copies into {@code image} the data that the images between it and {@code anchor} hold (where the
     * image holds none of its own), then points its header at {@code anchor}, which must be in its backing chain.
     * What the image shows is unchanged, and no other image is written, so a pull stopped part-way leaves the image
     * showing what it showed (on its old backing image) and is simply run again. Reports progress; cancellation
     * stops it and throws {@link dev.esm.api.errors.OperationCancelledException}.
     *
     * @param image the image to pull into: an active layer, or a frozen image no running QEMU holds open (what the
     *              images standing on it read does not change either)
     * @param anchor its new backing image
     * @param disk the disk's target, for progress
     */
    void pull(String image, DiskImage anchor, String disk, dev.esm.api.ProgressListener listener, Cancellation cancel);

    /**
     * Points an image's header at a new backing image without reading or writing any data (for a backing
     * image whose content is the same as the old one's).
     */
    void rebase(String image, DiskImage newBacking);

    /** @return the regular files directly in a folder (empty if it does not exist) */
    /**
     * @param directory a folder, which need not exist yet: the nearest folder above it that does is asked, or the
     *                  folder is made (as a copy into it would first)
     * @return how many bytes may still be written there, if this storage can tell
     */
    default java.util.OptionalLong freeBytes(String directory) {
        return java.util.OptionalLong.empty();
    }

    /**
     * Opens a file to read its bytes in order: one side of a copy to another host.
     *
     * @param path the file
     * @return its bytes; the caller closes it
     */
    ByteSource readBytes(String path);

    /**
     * Creates the file {@code path} (replacing one there, its folder made if missing) to be written with exactly
     * {@code length} bytes: the other side of a copy from another host.
     *
     * @param path the file
     * @param length how many bytes will be written
     * @return where to write them; the caller finishes and closes it
     */
    ByteSink writeBytes(String path, long length);

    /**
     * Opens the existing file {@code path} to be written in place, from its start, with exactly {@code length} bytes
     * (its length then): the same file, not a new one in its place, so that a process holding it open sees the new
     * bytes (QEMU holding a paused guest's firmware variables). A sink closed before it finished leaves the file
     * partly written.
     *
     * @param path an existing file
     * @param length how many bytes will be written
     * @return where to write them; the caller finishes and closes it
     */
    ByteSink overwriteBytes(String path, long length);

    java.util.List<String> list(String directory);

    /** Removes a file (or an empty folder). Fine if it does not exist. */
    void remove(String path);
}
