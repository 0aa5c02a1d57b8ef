package dev.esm.core.engine;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import dev.esm.api.ProgressListener;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Storage;
import java.util.List;
import java.util.Optional;

/** The storage half of {@link FencedHost}. */
final class FencedStorage implements Storage {
    private final Storage storage;
    private final Fence fence;

    private void fenced(Runnable change) {
        fence.run(change);
    }

    FencedStorage(Storage storage, Fence fence) {
        this.storage = storage;
        this.fence = fence;
    }

    @Override
    public boolean exists(String path) {
        return storage.exists(path);
    }

    @Override
    public boolean existsCheaply(String path) {
        return storage.existsCheaply(path);
    }

    @Override
    public ImageInfo info(String path, ImageFormat format) {
        return storage.info(path, format);
    }

    @Override
    public Optional<DiskImage> backing(String path, ImageFormat format) {
        return storage.backing(path, format);
    }

    @Override
    public Optional<BackingReference> backingReference(String path, ImageFormat format) {
        return storage.backingReference(path, format);
    }

    @Override
    public boolean encrypted(String path, ImageFormat format) {
        return storage.encrypted(path, format);
    }

    @Override
    public Optional<String> symbolicLink(String path) {
        return storage.symbolicLink(path);
    }

    @Override
    public void createOverlay(String path, DiskImage backing) {
        fenced(() -> storage.createOverlay(path, backing));
    }

    @Override
    public boolean subclusters(String path) {
        return storage.subclusters(path);
    }

    @Override
    public void createPullableOverlay(String path, DiskImage backing) {
        fenced(() -> storage.createPullableOverlay(path, backing));
    }

    @Override
    public long size(String path) {
        return storage.size(path);
    }

    @Override
    public void makeDirectory(String path) {
        fenced(() -> storage.makeDirectory(path));
    }

    @Override
    public void place(String from, String to) {
        fenced(() -> storage.place(from, to));
    }

    @Override
    public void copy(String from, String to) {
        fenced(() -> storage.copy(from, to));
    }

    @Override
    public void commit(String top, String base, String disk, ProgressListener listener, Cancellation cancel) {
        fenced(() -> storage.commit(top, base, disk, listener, cancel));
    }

    @Override
    public void pull(String image, DiskImage anchor, String disk, ProgressListener listener,
                     Cancellation cancel) {
        fenced(() -> storage.pull(image, anchor, disk, listener, cancel));
    }

    @Override
    public void rebase(String image, DiskImage newBacking) {
        fenced(() -> storage.rebase(image, newBacking));
    }

    @Override
    public List<String> list(String directory) {
        return storage.list(directory);
    }

    @Override
    public java.util.OptionalLong freeBytes(String directory) {
        return storage.freeBytes(directory);
    }

    @Override
    public dev.esm.core.port.ByteSource readBytes(String path) {
        return storage.readBytes(path);
    }

    @Override
    public dev.esm.core.port.ByteSink writeBytes(String path, long length) {
        return opened(() -> storage.writeBytes(path, length));
    }

    @Override
    public dev.esm.core.port.ByteSink overwriteBytes(String path, long length) {
        return opened(() -> storage.overwriteBytes(path, length));
    }

    /** @return a sink opened for a change, under the lease like every change */
    private dev.esm.core.port.ByteSink opened(java.util.function.Supplier<dev.esm.core.port.ByteSink> open) {
        java.util.concurrent.atomic.AtomicReference<dev.esm.core.port.ByteSink> sink =
                new java.util.concurrent.atomic.AtomicReference<>();
        fenced(() -> sink.set(open.get()));
        return sink.get();
    }

    @Override
    public void remove(String path) {
        fenced(() -> storage.remove(path));
    }
}
