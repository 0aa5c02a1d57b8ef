package dev.esm.api;

/**
 * A single-use command: set options, then run it once with {@link #execute()}, or look at its
 * {@link #plan()} first. Running a command twice, or setting an option after it ran, throws
 * {@link IllegalStateException}. Not thread-safe; make one per use.
 *
 * @param <R> what running it returns
 */
public interface Command<R> {

    /**
     * Plans the command against the domain as it is now, without changing anything (a dry run). Checks
     * every argument and state the real run checks, and throws the same exceptions.
     *
     * @return the steps a run would take now
     */
    Plan plan();

    /**
     * Runs the command.
     *
     * @return the result
     */
    R execute();
}
