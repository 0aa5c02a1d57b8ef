package dev.esm.api;

/**
 * A command that may merge images (block commit): it reports progress and can be cancelled.
 *
 * <p>Cancelling ({@link #cancel()} from another thread, or interrupting the thread in {@link #execute()})
 * aborts the running merge jobs and leaves every surviving snapshot and the current state readable with their
 * contents; the command then throws {@link dev.esm.api.errors.OperationCancelledException}. A snapshot whose
 * image was already being merged into stays removed, as asked; its data is kept in unnamed images until a
 * later delete or commit compacts them.
 *
 * @param <R> what running it returns
 */
public interface MergeCommand<R> extends Command<R> {

    /**
     * @param listener receives each disk's merge progress
     * @return this command
     */
    MergeCommand<R> progress(ProgressListener listener);

    /** Asks a running command to stop as soon as it safely can. Thread-safe; a no-op once it has finished. */
    void cancel();
}
