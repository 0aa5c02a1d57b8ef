package dev.esm.libvirt.internal.local;

import dev.esm.api.errors.StorageException;
import dev.esm.core.port.ByteSink;
import dev.esm.core.port.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A local file's bytes as a stream, for {@link LocalStorage}'s side of a copy to or from another host. A file is
 * written under a temporary name in its folder, holes kept where the bytes are zero (a raw base image stays sparse),
 * fsynced and renamed into place on {@link ByteSink#finish()}; a sink closed before that leaves nothing. Stateless;
 * each stream is used by one thread.
 */
final class FileStreams {
    private FileStreams() {
    }

    static ByteSource read(String path) {
        try {
            FileChannel in = FileChannel.open(Path.of(path), StandardOpenOption.READ);
            long length = in.size();
            return new ByteSource() {
                @Override
                public long length() {
                    return length;
                }

                @Override
                public int read(byte[] buffer) {
                    try {
                        return in.read(ByteBuffer.wrap(buffer));
                    } catch (IOException e) {
                        throw new StorageException("reading '" + path + "' failed: " + e, e);
                    }
                }

                @Override
                public void close() {
                    try {
                        in.close();
                    } catch (IOException e) {
                        // nothing was written
                    }
                }
            };
        } catch (IOException e) {
            throw new StorageException("opening '" + path + "' failed: " + e, e);
        }
    }

    /**
     * @return a sink that writes the existing file {@code path} in place from its start (the same file, which a
     *         process holding it open sees), every byte written (no holes: the old bytes are there), with exactly
     *         {@code length} bytes, its length at the end; synced before it finishes
     */
    static ByteSink overwrite(String path, long length) {
        try {
            return new ChannelSink(FileChannel.open(Path.of(path), StandardOpenOption.WRITE), path, length, false) {
                @Override
                void finished() {
                }

                @Override
                void abandoned() {
                }
            };
        } catch (IOException e) {
            throw new StorageException("opening '" + path + "' to write it in place failed: " + e, e);
        }
    }

    static ByteSink write(String path, long length) {
        Path target = Path.of(path);
        Path temp = target.resolveSibling("." + target.getFileName() + ".esm-incoming");
        try {
            Files.createDirectories(target.getParent());
            FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            return new ChannelSink(out, path, length, true) {
                @Override
                void finished() throws IOException {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }

                @Override
                void abandoned() throws IOException {
                    Files.deleteIfExists(temp);
                }
            };
        } catch (IOException e) {
            throw new StorageException("creating '" + path + "' failed: " + e, e);
        }
    }

    /**
     * Bytes written in order into a channel, checked to be exactly {@code length} when finished, the file then that
     * long and synced; zeros written as holes if asked (a new file).
     */
    private abstract static class ChannelSink implements ByteSink {
        private final FileChannel out;
        private final String path;
        private final long length;
        private final boolean holes;
        private boolean done;

        ChannelSink(FileChannel out, String path, long length, boolean holes) {
            this.out = out;
            this.path = path;
            this.length = length;
            this.holes = holes;
        }

        /** After the bytes are synced and the channel closed. */
        abstract void finished() throws IOException;

        /** When closed before it finished, after the channel is closed. */
        abstract void abandoned() throws IOException;

        @Override
        public void write(byte[] buffer, int n) {
            try {
                if (holes && zeros(buffer, n)) {
                    out.position(out.position() + n); // a hole
                } else {
                    ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
                    while (b.hasRemaining()) {
                        out.write(b);
                    }
                }
            } catch (IOException e) {
                throw new StorageException("writing '" + path + "' failed: " + e, e);
            }
        }

        @Override
        public void finish() {
            try {
                if (out.position() != length) {
                    throw new StorageException("'" + path + "' got " + out.position() + " of " + length + " bytes");
                }
                out.truncate(length);
                if (out.size() < length) { // trailing zeros written as a hole
                    out.write(ByteBuffer.wrap(new byte[1]), length - 1);
                }
                out.force(true);
                out.close();
                finished();
                done = true;
            } catch (IOException e) {
                throw new StorageException("writing '" + path + "' failed: " + e, e);
            }
        }

        @Override
        public void close() {
            try {
                out.close();
                if (!done) {
                    abandoned();
                }
            } catch (IOException e) {
                throw new StorageException("closing the unfinished '" + path + "' failed: " + e, e);
            }
        }
    }

    private static boolean zeros(byte[] buffer, int n) {
        for (int i = 0; i < n; i++) {
            if (buffer[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
