package dev.esm.libvirt.internal.local;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.ImageInfo;
import dev.esm.api.Progress;
import dev.esm.api.ProgressListener;
import dev.esm.api.errors.OperationCancelledException;
import dev.esm.api.errors.StorageException;
import dev.esm.core.port.Cancellation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.esm.libvirt.internal.image.JsonValue;
import dev.esm.libvirt.internal.image.Qcow2;

/**
 * Runs {@code qemu-img} for {@link LocalStorage}: image info (read in process when the image is plain), offline
 * commit and pull with their progress parsed, rebase of a header; formats always passed explicitly.
 *
 * <p>Thread-safety: thread-safe (no mutable state; each call runs its own process).
 */
public final class QemuImg {
    private static final Logger LOG = LoggerFactory.getLogger(QemuImg.class);
    private final String qemuImg;
    private final java.time.Duration processTimeout;

    /**
     * @param qemuImg the {@code qemu-img} executable to run
     * @param processTimeout the longest a {@code qemu-img} may run before it is killed (not a commit)
     */
    public QemuImg(String qemuImg, java.time.Duration processTimeout) {
        this.qemuImg = qemuImg;
        this.processTimeout = processTimeout;
    }

    /**
     * What {@code qemu-img info} would say of a plain image, read in this process (a header read and one
     * {@code stat}, instead of a process): a raw image, or a qcow2 image of version 2 or 3 that is not encrypted, sets
     * no incompatible feature but subclusters (no external data file, no dirty or corrupt mark) and names its backing
     * file by a path.
     * Anything else (and any read that fails) is left to {@code qemu-img}.
     */
    public static Optional<ImageInfo> quickInfo(String path, ImageFormat format) {
        if (format != ImageFormat.QCOW2 && format != ImageFormat.RAW) {
            return Optional.empty();
        }
        Path p = Path.of(path);
        try {
            if (!Files.isRegularFile(p) || Qcow2.encrypted(p, format)) {
                return Optional.empty();
            }
            java.util.OptionalLong allocated = FileAllocation.bytes(p);
            if (allocated.isEmpty()) {
                return Optional.empty();
            }
            if (format == ImageFormat.RAW) {
                return Optional.of(new ImageInfo(path, format, Qcow2.virtualSize(p, format), allocated.getAsLong(),
                        Optional.empty(), Optional.empty()));
            }
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p)) {
                ch.read(b, 0);
            }
            b.flip();
            if (b.limit() < 104 || b.getInt(0) != 0x514649fb) {
                return Optional.empty();
            }
            int version = b.getInt(4);
            if (version != 2 && version != 3 || version == 3 && (b.getLong(72) & ~Qcow2.EXTENDED_L2) != 0) {
                return Optional.empty();
            }
            String[] backing = Qcow2.backing(b, path); // throws when the name lies beyond these bytes: qemu-img then
            Optional<String> full = Optional.empty();
            Optional<ImageFormat> backingFormat = Optional.empty();
            if (backing != null) {
                String name = backing[0];
                int colon = name.indexOf(':');
                if (name.isEmpty() || (colon >= 0 && (name.indexOf('/') < 0 || colon < name.indexOf('/')))) {
                    return Optional.empty(); // a protocol or json: name: as QEMU resolves it
                }
                full = Optional.of(name.startsWith("/") ? name : p.resolveSibling(name).toString());
                if (backing[1] != null) {
                    backingFormat = ImageFormat.fromId(backing[1]);
                    if (backingFormat.isEmpty()) {
                        return Optional.empty();
                    }
                }
            }
            return Optional.of(new ImageInfo(path, format, b.getLong(24), allocated.getAsLong(), full,
                    backingFormat));
        } catch (java.io.IOException | RuntimeException e) {
            LOG.debug("reading {} in process failed ({}); asking qemu-img", path, e.toString());
            return Optional.empty();
        }
    }

    /** @return {@code qemu-img info}'s answer for one image */
    public ImageInfo info(String path, ImageFormat format) {
        String json = run("reading the header of " + path, List.of(qemuImg, "info", "--output=json", "-U", "-f",
                format.id(), path));
        return imageInfo(path, format, json);
    }

    /**
     * Reads {@code qemu-img info --output=json}'s answer for one image (not {@code --backing-chain}): the members
     * of the top-level object only, so a nested object's {@code virtual-size} is never taken for the image's.
     */
    public static ImageInfo imageInfo(String path, ImageFormat format, String json) {
        Object top;
        try {
            top = JsonValue.parse(json);
        } catch (IllegalArgumentException e) {
            throw new StorageException("qemu-img info gave unreadable output for " + path + ": " + e.getMessage(), e);
        }
        long virtual = JsonValue.member(top, "virtual-size", Long.class).orElseThrow(() -> new StorageException(
                "qemu-img info gave no virtual size for " + path));
        long actual = JsonValue.member(top, "actual-size", Long.class).orElse(0L);
        Optional<String> backing = JsonValue.member(top, "full-backing-filename", String.class)
                .or(() -> JsonValue.member(top, "backing-filename", String.class));
        Optional<ImageFormat> backingFormat = JsonValue.member(top, "backing-filename-format", String.class)
                .flatMap(ImageFormat::fromId);
        return new ImageInfo(path, format, virtual, actual, backing, backingFormat);
    }

    /** Merges {@code top} into {@code base} with {@code qemu-img commit -p}, its progress reported as {@code disk}'s. */
    public void commit(String top, String base, String disk, ProgressListener listener, Cancellation cancel) {
        // A merge of this image that a killed process left running would hold its write lock: end it first.
        ChildProcess.endLeftovers(top, "qemu-img", "commit");
        runLong("merging " + top + " into " + base, top + " keeps all its data",
                List.of(qemuImg, "commit", "-p", "-f", "qcow2", "-b", base, top), disk, listener, cancel);
    }

    /**
     * Pulls into {@code image} the data of the images between it and {@code anchor}, then points it at
     * {@code anchor} ({@code qemu-img rebase -p} in safe mode: QEMU 4 or later copies only what the images above the
     * new backing image in the old chain hold, and writes the header last, so a stop part-way leaves the image showing
     * what it showed). The header names {@code anchor} by its path as given. Its progress is reported as
     * {@code disk}'s; no timeout (it copies data, as a commit does).
     */
    public void pull(String image, DiskImage anchor, String disk, ProgressListener listener, Cancellation cancel) {
        // A pull of this image that a killed process left running would hold its write lock: end it first.
        ChildProcess.endLeftovers(image, "qemu-img", "rebase");
        runLong("pulling into " + image + " the images above " + anchor.path(), image + " shows what it showed",
                List.of(qemuImg, "rebase", "-p", "-f", "qcow2", "-b", anchor.path(), "-F", anchor.format().id(),
                        image), disk, listener, cancel);
    }

    /**
     * Runs a long {@code qemu-img} job with {@code -p} to its end (no timeout), its progress reported as
     * {@code disk}'s; cancellation kills it (a job that ended before the signal reached it counts as done).
     *
     * @param doing what the job is, for messages
     * @param kept what a cancelled job leaves, for the message
     */
    private void runLong(String doing, String kept, List<String> command, String disk, ProgressListener listener,
                         Cancellation cancel) {
        LOG.debug("running {}", command);
        Process p;
        try {
            p = new ProcessBuilder(ChildProcess.tied(command)).redirectErrorStream(true).start();
            p.getOutputStream().close();
        } catch (IOException e) {
            throw new StorageException(doing + ": cannot run " + qemuImg + " (" + e.getMessage()
                    + "); install qemu-utils", e);
        }
        StringBuilder out = new StringBuilder();
        java.util.concurrent.atomic.AtomicBoolean copied = new java.util.concurrent.atomic.AtomicBoolean();
        Thread reader = new Thread(() -> readProgress(p.getInputStream(), out, disk, listener, copied),
                "esm-qemu-img-" + command.get(1));
        reader.setDaemon(true);
        reader.start();
        try {
            while (!p.waitFor(50, TimeUnit.MILLISECONDS)) {
                // Once its data is copied (100%), qemu-img rewrites the image's header and only then writes out its
                // cached table updates: killed in between, the header would name the new backing file while the
                // data it needs is not in the image. So a cancellation that comes then lets it finish.
                if (cancel.isCancelled() && !copied.get()) {
                    p.destroy();
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        ChildProcess.kill(p);
                    }
                    if (p.exitValue() == 0) {
                        // It ended before the signal reached it: the job is done, and its disk's steps must run.
                        LOG.debug("{} completed as it was cancelled", doing);
                        return;
                    }
                    throw new OperationCancelledException(doing + " was cancelled; " + kept);
                }
            }
            reader.join(5000);
        } catch (InterruptedException e) {
            ChildProcess.kill(p);
            Thread.currentThread().interrupt();
            throw new OperationCancelledException(doing + " was interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new StorageException(doing + " failed: " + said(out.toString(), p.exitValue()));
        }
    }

    private static void readProgress(InputStream in, StringBuilder out, String disk, ProgressListener listener,
                                     java.util.concurrent.atomic.AtomicBoolean copied) {
        // qemu-img -p prints "    (12.34/100%)" followed by a carriage return.
        Pattern pct = Pattern.compile("\\((\\d+(?:\\.\\d+)?)/100%\\)");
        StringBuilder line = new StringBuilder();
        try {
            for (int c; (c = in.read()) >= 0; ) {
                if (c == '\r' || c == '\n') {
                    Matcher m = pct.matcher(line);
                    if (m.find()) {
                        long done = Math.round(Double.parseDouble(m.group(1)) * 100);
                        if (done >= 10_000) {
                            copied.set(true);
                        }
                        listener.onProgress(new Progress(disk, done, 10_000));
                    } else if (!line.toString().isBlank()) {
                        synchronized (out) {
                            out.append(line).append('\n');
                        }
                    }
                    line.setLength(0);
                } else {
                    line.append((char) c);
                }
            }
            synchronized (out) {
                out.append(line);
            }
        } catch (IOException e) {
            LOG.debug("reading qemu-img's progress failed: {}", e.toString());
        }
    }

    /** Points {@code image} at {@code newBacking} ({@code qemu-img rebase -u}: the header only). */
    public void rebase(String image, DiskImage newBacking) {
        run("pointing " + image + " at " + newBacking.path(), List.of(qemuImg, "rebase", "-u", "-f", "qcow2", "-b",
                newBacking.path(), "-F", newBacking.format().id(), image));
    }

    /** @return what the command printed; a failure (or a timeout) is a {@link StorageException} */
    public String run(String doing, List<String> command) {
        ChildProcess.Result r = ChildProcess.run(doing, command, processTimeout);
        if (r.exit() != 0) {
            throw new StorageException(doing + " failed: " + said(r.err() + r.out(), r.exit()));
        }
        return r.out();
    }

    /**
     * @return what a program that failed printed, on one line, or its exit status when it printed nothing (killed by
     *         a signal, say), so that a message never ends in an empty cause
     */
    public static String said(String output, int exit) {
        String text = String.join("; ", output.strip().lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
        return text.isEmpty() ? "it printed nothing and ended with status " + exit
                + (exit > 128 ? " (signal " + (exit - 128) + ")" : "") : text;
    }
}
