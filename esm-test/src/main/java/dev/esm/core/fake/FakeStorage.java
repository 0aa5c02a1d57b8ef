package dev.esm.core.fake;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import dev.esm.api.errors.StorageException;
import dev.esm.core.port.Storage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An in-memory host file system holding images as block maps with backing references. It records every write
 * into an image that backs another one (a breach of docs/semantics.md invariant 2). Thread-safe (synchronized).
 */
public final class FakeStorage implements Storage {
    /** The block size patterns are written in. */
    public static final int BLOCK = 64 * 1024;

    static final class Image {
        final ImageFormat format;
        String backing;
        ImageFormat backingFormat;
        final long size;
        final Map<Long, Integer> blocks = new HashMap<>();

        Image(ImageFormat format, String backing, ImageFormat backingFormat, long size) {
            this.format = format;
            this.backing = backing;
            this.backingFormat = backingFormat;
            this.size = size;
        }
    }

    private final Map<String, Image> files = new TreeMap<>();
    private final Map<String, String> texts = new TreeMap<>();
    private final FakeState state = new FakeState(this);
    private final Set<String> dirs = new TreeSet<>();
    private final List<String> violations = new ArrayList<>();

    /** @return the journals and locks kept in this file system (one per storage, shared by every host on it) */
    public FakeState state() {
        return state;
    }

    /** Adds a base image (no backing) of the given size, all zeros. */
    public synchronized void addImage(String path, ImageFormat format, long size) {
        files.put(path, new Image(format, null, null, size));
    }

    @Override
    public synchronized boolean exists(String path) {
        return files.containsKey(path) || dirs.contains(path) || texts.containsKey(path);
    }

    /** @return the folder the fake keeps ESM's state in ({@link FakeState}'s journals) */
    public String stateDirectory() {
        return "/fake-state";
    }

    /** Writes a small text file (a journal, a fake save file); it replaces what was there at once. */
    public synchronized void writeAtomically(String path, String content) {
        texts.put(path, content);
    }

    /** @return a small text file's content, if there is one */
    public synchronized Optional<String> read(String path) {
        return Optional.ofNullable(texts.get(path));
    }

    @Override
    public synchronized long size(String path) {
        if (texts.containsKey(path)) {
            return texts.get(path).length();
        }
        return (long) image(path).blocks.size() * BLOCK + 4096;
    }

    @Override
    public synchronized List<String> list(String directory) {
        List<String> out = new ArrayList<>();
        for (String f : files()) {
            if (f.startsWith(directory + "/") && f.indexOf('/', directory.length() + 1) < 0) {
                out.add(f);
            }
        }
        return out;
    }


    @Override
    public synchronized ImageInfo info(String path, ImageFormat format) {
        Image i = image(path);
        if (i.format != format) {
            throw new StorageException(path + " is " + i.format + ", not " + format);
        }
        return new ImageInfo(path, format, i.size, (long) i.blocks.size() * BLOCK + 4096, Optional.ofNullable(i.backing),
                Optional.ofNullable(i.backingFormat));
    }

    private Image image(String path) {
        Image i = files.get(path);
        if (i == null) {
            throw new StorageException("'" + path + "' does not exist");
        }
        return i;
    }

    @Override
    public synchronized void createOverlay(String path, DiskImage backing) {
        if (exists(path)) {
            throw new StorageException("'" + path + "' exists already");
        }
        Image b = image(backing.path());
        if (b.format != backing.format()) {
            throw new StorageException("backing " + backing.path() + " is " + b.format + ", not " + backing.format());
        }
        files.put(path, new Image(ImageFormat.QCOW2, backing.path(), backing.format(), b.size));
    }

    @Override
    public synchronized void makeDirectory(String path) {
        for (String p = path; p.length() > 1; p = p.substring(0, Math.max(1, p.lastIndexOf('/')))) {
            dirs.add(p);
        }
    }

    @Override
    public synchronized void place(String from, String to) {
        if (exists(to)) {
            throw new StorageException("'" + to + "' exists already");
        }
        Image src = image(from);
        Image copy = new Image(src.format, src.backing, src.backingFormat, src.size);
        copy.blocks.putAll(src.blocks);
        files.put(to, copy);
    }

    /**
     * The file's bytes, as this fake encodes them for a copy to another fake host: an image's format, backing, size
     * and blocks, or a text file's content.
     */
    private long free = -1;

    /** Makes {@link #freeBytes} say {@code bytes} are free everywhere; -1 for unknown (the default). */
    public synchronized void freeBytes(long bytes) {
        free = bytes;
    }

    @Override
    public synchronized java.util.OptionalLong freeBytes(String directory) {
        return free < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(free);
    }

    @Override
    public synchronized dev.esm.core.port.ByteSource readBytes(String path) {
        StringBuilder b = new StringBuilder();
        Image i = files.get(path);
        if (i != null) {
            b.append("I\n").append(i.format.id()).append('\n').append(i.backing == null ? "" : i.backing).append('\n')
                    .append(i.backingFormat == null ? "" : i.backingFormat.id()).append('\n').append(i.size);
            new TreeMap<>(i.blocks).forEach((k, v) -> b.append('\n').append(k).append('=').append(v));
        } else if (texts.containsKey(path)) {
            b.append("T\n").append(texts.get(path));
        } else {
            throw new StorageException("'" + path + "' does not exist");
        }
        byte[] bytes = b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.io.ByteArrayInputStream in = new java.io.ByteArrayInputStream(bytes);
        return new dev.esm.core.port.ByteSource() {
            @Override
            public long length() {
                return bytes.length;
            }

            @Override
            public int read(byte[] buffer) {
                return in.read(buffer, 0, buffer.length);
            }

            @Override
            public void close() {
            }
        };
    }

    /** Puts the blocks {@code from}'s image in {@code source} holds itself onto the image {@code path} here. */
    void copyBlocksOnto(FakeStorage source, String from, String path) {
        Map<Long, Integer> blocks = source.blocks(from);
        synchronized (this) {
            image(path).blocks.putAll(blocks);
        }
    }

    @Override
    public dev.esm.core.port.ByteSink writeBytes(String path, long length) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        return new dev.esm.core.port.ByteSink() {
            @Override
            public void write(byte[] buffer, int n) {
                out.write(buffer, 0, n);
            }

            @Override
            public void finish() {
                if (out.size() != length) {
                    throw new StorageException("'" + path + "' got " + out.size() + " of " + length + " bytes");
                }
                decode(path, out.toString(java.nio.charset.StandardCharsets.UTF_8));
            }

            @Override
            public void close() {
            }
        };
    }

    /** In place, as a new file: a fake file has no identity that a holder could keep. */
    @Override
    public dev.esm.core.port.ByteSink overwriteBytes(String path, long length) {
        if (!exists(path)) {
            throw new StorageException("'" + path + "' does not exist");
        }
        return writeBytes(path, length);
    }

    private synchronized void decode(String path, String content) {
        String[] lines = content.split("\n", -1);
        files.remove(path);
        texts.remove(path);
        if (!lines[0].equals("I")) {
            texts.put(path, lines[0].equals("T") ? content.substring(2) : content);
            return;
        }
        Image i = new Image(ImageFormat.fromId(lines[1]).orElseThrow(), lines[2].isEmpty() ? null : lines[2],
                lines[3].isEmpty() ? null : ImageFormat.fromId(lines[3]).orElseThrow(), Long.parseLong(lines[4]));
        for (int k = 5; k < lines.length; k++) {
            String[] kv = lines[k].split("=");
            i.blocks.put(Long.parseLong(kv[0]), Integer.parseInt(kv[1]));
        }
        files.put(path, i);
    }

    @Override
    public synchronized void remove(String path) {
        files.remove(path);
        dirs.remove(path);
        texts.remove(path);
    }

    @Override
    public void commit(String top, String base, String disk, dev.esm.api.ProgressListener listener,
                       dev.esm.core.port.Cancellation cancel) {
        // Progress is reported outside the lock, as qemu-img's reader thread does, so that merges can overlap.
        listener.onProgress(new dev.esm.api.Progress(disk, 0, 1));
        mergeInto(top, base, cancel);
        listener.onProgress(new dev.esm.api.Progress(disk, 1, 1));
    }

    /** Writes the data of {@code top} and the images between into {@code base}, as a block commit does. */
    synchronized void mergeInto(String top, String base, dev.esm.core.port.Cancellation cancel) {
        List<String> chain = new ArrayList<>();
        for (String p = top; !p.equals(base); p = image(p).backing) {
            if (image(p).backing == null) {
                throw new StorageException(base + " is not below " + top);
            }
            chain.add(0, p);
        }
        for (Map.Entry<String, Image> e : files.entrySet()) {
            if (base.equals(e.getValue().backing) && !chain.contains(e.getKey())) {
                violations.add("merge into " + base + ", which also backs " + e.getKey());
            }
        }
        Image b = image(base);
        for (String p : chain) {
            b.blocks.putAll(image(p).blocks);
        }
        // As a real job that is aborted half-way: the base may have been written already.
        cancel.check("merging " + top + " into " + base);
    }

    @Override
    public void pull(String image, DiskImage anchor, String disk, dev.esm.api.ProgressListener listener,
                     dev.esm.core.port.Cancellation cancel) {
        listener.onProgress(new dev.esm.api.Progress(disk, 0, 1));
        pullInto(image, anchor.path(), cancel);
        listener.onProgress(new dev.esm.api.Progress(disk, 1, 1));
    }

    /**
     * Copies into {@code image} the blocks the images between it and {@code anchor} hold and it does not, then points
     * it at {@code anchor}, as a block pull or a safe {@code qemu-img rebase} does.
     */
    synchronized void pullInto(String image, String anchor, dev.esm.core.port.Cancellation cancel) {
        List<String> between = new ArrayList<>();
        for (String p = image(image).backing; !anchor.equals(p); p = image(p).backing) {
            if (p == null) {
                throw new StorageException(anchor + " is not below " + image);
            }
            between.add(p);
        }
        // Unlike a write, a pull into an image others stand on changes nothing they read.
        Image top = image(image);
        for (String p : between) {
            image(p).blocks.forEach(top.blocks::putIfAbsent);
            // As a real job stopped half-way: some data copied, the chain as it was.
            cancel.check("pulling into " + image);
        }
        top.backing = anchor;
        top.backingFormat = image(anchor).format;
    }

    @Override
    public synchronized void rebase(String image, DiskImage newBacking) {
        Image i = image(image);
        image(newBacking.path());
        i.backing = newBacking.path();
        i.backingFormat = newBacking.format();
    }

    /** Writes a pattern into one block of an image, as QEMU would into its active layer. */
    public synchronized void write(String path, long block, int pattern) {
        for (Map.Entry<String, Image> e : files.entrySet()) {
            if (path.equals(e.getValue().backing)) {
                violations.add("write into " + path + ", which backs " + e.getKey());
            }
        }
        image(path).blocks.put(block, pattern);
    }

    /** @return the pattern of a block, read through the backing chain (0 where nothing was written) */
    public synchronized int read(String path, long block) {
        for (String p = path; p != null; ) {
            Image i = image(p);
            Integer v = i.blocks.get(block);
            if (v != null) {
                return v;
            }
            p = i.backing;
        }
        return 0;
    }

    /** @return the blocks written into this image itself (block index to pattern), not those of its backing chain */
    public synchronized Map<Long, Integer> blocks(String path) {
        return new TreeMap<>(image(path).blocks);
    }

    /** @return every file path: images, and small files (memory files, journals) */
    public synchronized Set<String> files() {
        Set<String> out = new TreeSet<>(files.keySet());
        out.addAll(texts.keySet());
        return out;
    }

    /** @return a fingerprint of a file's whole content (an image's header and blocks, or a small file's text) */
    public synchronized String fingerprint(String path) {
        if (texts.containsKey(path)) {
            return "text:" + texts.get(path);
        }
        Image i = image(path);
        return i.format + ":" + i.backing + ":" + new TreeMap<>(i.blocks);
    }

    /** @return the breaches of invariant 2 seen so far */
    public synchronized List<String> violations() {
        return List.copyOf(violations);
    }
}
