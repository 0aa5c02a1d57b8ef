package dev.esm.core.port;

/**
 * A new file written once in order from the start (the target side of a copy to another host). Not thread-safe: one
 * thread writes it, then finishes or closes it.
 */
public interface ByteSink extends AutoCloseable {

    /** Writes the first {@code length} bytes of {@code buffer} after what was written before. */
    void write(byte[] buffer, int length);

    /** Makes what was written durable; the file then holds exactly the bytes written. */
    void finish();

    /** Frees what it holds; a sink closed before {@link #finish()} leaves no file behind. */
    @Override
    void close();
}
