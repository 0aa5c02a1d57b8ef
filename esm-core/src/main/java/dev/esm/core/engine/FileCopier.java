package dev.esm.core.engine;

import dev.esm.api.Progress;
import dev.esm.api.ProgressListener;
import dev.esm.api.errors.StorageException;
import dev.esm.core.port.ByteSink;
import dev.esm.core.port.ByteSource;
import dev.esm.core.port.Cancellation;
import dev.esm.core.port.Storage;
import java.util.zip.CRC32C;

/**
 * Copies a file from one host's storage to another's through this process, and checks the copy: the CRC32C of the
 * bytes sent against that of what the target reads back. Progress is reported as bytes of the whole transfer; a
 * cancellation stops between chunks (the partial file is left for the undo). Thread-safety: one per operation.
 */
final class FileCopier {
    private static final int CHUNK = 1 << 20;

    private final Storage from;
    private final Storage to;
    private final ProgressListener progress;
    private final Cancellation cancel;
    private final long total;
    private long done;

    FileCopier(Storage from, Storage to, ProgressListener progress, Cancellation cancel, long total) {
        this.from = from;
        this.to = to;
        this.progress = progress;
        this.cancel = cancel;
        this.total = total;
    }

    /** @return how many bytes were copied so far */
    long done() {
        return done;
    }

    /**
     * @param source the file here
     * @param target its path on the other host
     * @return the CRC32C of its bytes, the same on both sides
     * @throws StorageException when the copy's length or checksum differs
     */
    long copy(String source, String target) {
        return copy(source, target, false);
    }

    /**
     * Copies {@code source} over the existing file {@code target} on the other host, in place
     * ({@link Storage#overwriteBytes}).
     *
     * @return the CRC32C of its bytes, the same on both sides
     * @throws StorageException when the copy's length or checksum differs
     */
    long overwrite(String source, String target) {
        return copy(source, target, true);
    }

    private long copy(String source, String target, boolean inPlace) {
        CRC32C sent = new CRC32C();
        byte[] buf = new byte[CHUNK];
        long n = 0;
        long length;
        try (ByteSource in = from.readBytes(source); ByteSink out = inPlace ? to.overwriteBytes(target, in.length())
                : to.writeBytes(target, in.length())) {
            length = in.length();
            for (int r; (r = in.read(buf)) > 0; ) {
                cancel.check("copying " + source);
                sent.update(buf, 0, r);
                out.write(buf, r);
                n += r;
                done += r;
                progress.onProgress(new Progress(source, done, total));
            }
            if (n != length) {
                throw new StorageException("'" + source + "' gave " + n + " bytes, not " + length + " (did it change?)");
            }
            out.finish();
        }
        long back = checksum(to, target);
        if (back != sent.getValue()) {
            throw new StorageException("the copy of '" + source + "' at '" + target + "' on the target reads back"
                    + " differently (CRC32C " + Long.toHexString(back) + ", sent " + Long.toHexString(sent.getValue())
                    + "): check the target's storage, then run the operation again");
        }
        return back;
    }

    /** @return the CRC32C of the file's bytes as {@code storage} reads them */
    static long checksum(Storage storage, String path) {
        CRC32C crc = new CRC32C();
        byte[] buf = new byte[CHUNK];
        try (ByteSource in = storage.readBytes(path)) {
            for (int r; (r = in.read(buf)) > 0; ) {
                crc.update(buf, 0, r);
            }
        }
        return crc.getValue();
    }
}
