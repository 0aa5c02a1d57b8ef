package dev.esm.core.port;

/**
 * A file's bytes, read once in order from the start (the source side of a copy to another host). Not thread-safe:
 * one thread reads it, then closes it.
 */
public interface ByteSource extends AutoCloseable {

    /** @return how many bytes the file has, all of which {@link #read} gives */
    long length();

    /**
     * @param buffer filled from its start
     * @return how many bytes were read; -1 at the end of the file
     */
    int read(byte[] buffer);

    /** Ends the read (early or not) and frees what it holds. */
    @Override
    void close();
}
