package dev.esm.core.engine;

import dev.esm.api.DiskImage;
import dev.esm.api.ImageFormat;
import dev.esm.api.SnapshotState;
import dev.esm.core.model.SnapshotDefinition;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The snapshot-tree index as text: what a tree read needs of each snapshot (name, parent, creation time, description,
 * state, frozen images, memory file; not its XML) with the marker and the current snapshot it was read with, in a
 * versioned binary form, gzip-compressed and Base64-encoded (a short ASCII text a state store keeps as it keeps a
 * journal). Pure: no I/O but in-memory streams.
 *
 * <p>Thread-safety: stateless; thread-safe.
 */
final class TreeIndexFormat {
    private static final int MAGIC = 0x45534d54; // "ESMT"
    private static final int VERSION = 1;

    /**
     * One index: the snapshots as a tree read gave them, and what it was checked against.
     *
     * @param stamp the host's {@link dev.esm.core.port.Host#snapshotStamp} when it was read
     * @param current libvirt's current snapshot then
     * @param snapshots every snapshot, in libvirt's order, without XML ({@code ""})
     */
    record Index(String stamp, Optional<String> current, List<SnapshotDefinition> snapshots) {
    }

    private TreeIndexFormat() {
    }

    /** @return {@code index} as text */
    static String encode(Index index) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(bytes, 1 << 16))) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            str(out, index.stamp());
            opt(out, index.current());
            out.writeInt(index.snapshots().size());
            for (SnapshotDefinition s : index.snapshots()) {
                snapshot(out, s);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: not reached
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    /** @return the index {@code text} holds; empty when it is not one of this version (or damaged) */
    static Optional<Index> decode(String text) {
        byte[] raw;
        try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(text.trim())),
                1 << 16)) {
            raw = gz.readAllBytes();
        } catch (IOException | RuntimeException damaged) {
            return Optional.empty();
        }
        // Read from the whole inflated array through a buffer (big-endian, as DataOutputStream wrote it): a
        // DataInputStream over a ByteArrayInputStream made four synchronized calls per int and a copy per string.
        try {
            ByteBuffer in = ByteBuffer.wrap(raw);
            if (in.getInt() != MAGIC || in.getInt() != VERSION) {
                return Optional.empty();
            }
            String stamp = str(in);
            Optional<String> current = opt(in);
            int n = in.getInt();
            List<SnapshotDefinition> out = new ArrayList<>(Math.min(n, 1 << 20));
            for (int k = 0; k < n; k++) {
                out.add(snapshot(in));
            }
            return Optional.of(new Index(stamp, current, List.copyOf(out)));
        } catch (IOException | RuntimeException damaged) {
            return Optional.empty();
        }
    }

    /**
     * One snapshot, in a method of its own: called once per snapshot, it is compiled after a few hundred, where a
     * loop body in one long call would run interpreted (the tool runs with C1 only, which compiles a loop in place
     * only after tens of thousands of turns).
     */
    private static SnapshotDefinition snapshot(ByteBuffer in) throws IOException {
        String name = str(in);
        Optional<String> parent = opt(in);
        Instant created = Instant.ofEpochSecond(in.getLong(), in.getInt());
        String description = str(in);
        SnapshotState state = SnapshotState.valueOf(str(in));
        int images = in.getInt();
        if (images < 0 || images > 4096) {
            throw new IOException("bad image count " + images);
        }
        List<DiskImage> imgs = new ArrayList<>(images);
        for (int i = 0; i < images; i++) {
            imgs.add(new DiskImage(str(in), str(in), ImageFormat.valueOf(str(in))));
        }
        return new SnapshotDefinition(name, parent, created, description, state, imgs, "", opt(in));
    }

    private static void snapshot(DataOutputStream out, SnapshotDefinition s) throws IOException {
        str(out, s.name());
        opt(out, s.parent());
        out.writeLong(s.creationTime().getEpochSecond());
        out.writeInt(s.creationTime().getNano());
        str(out, s.description());
        str(out, s.state().name());
        out.writeInt(s.images().size());
        for (DiskImage i : s.images()) {
            str(out, i.target());
            str(out, i.path());
            str(out, i.format().name());
        }
        opt(out, s.memoryFile());
    }

    /** @return {@code s} without its XML: what the index keeps of it */
    static SnapshotDefinition withoutXml(SnapshotDefinition s) {
        return s.xml().isEmpty() ? s : new SnapshotDefinition(s.name(), s.parent(), s.creationTime(), s.description(),
                s.state(), s.images(), "", s.memoryFile());
    }

    private static void str(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static void opt(DataOutputStream out, Optional<String> s) throws IOException {
        out.writeBoolean(s.isPresent());
        if (s.isPresent()) {
            str(out, s.get());
        }
    }

    private static String str(ByteBuffer in) throws IOException {
        int n = in.getInt();
        if (n < 0 || n > 16 << 20) {
            throw new IOException("bad length " + n);
        }
        if (n > in.remaining()) {
            throw new IOException("truncated");
        }
        String s = new String(in.array(), in.position(), n, StandardCharsets.UTF_8);
        in.position(in.position() + n);
        return s;
    }

    private static Optional<String> opt(ByteBuffer in) throws IOException {
        return in.get() != 0 ? Optional.of(str(in)) : Optional.empty();
    }
}
