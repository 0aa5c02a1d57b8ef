package dev.esm.api;

/** How an operation or a step ended, as {@link OperationListener} reports it. */
public enum Outcome {
    /** It has started and not ended yet (the outcome of a start event). */
    RUNNING,
    /** It did everything it was asked to. */
    SUCCEEDED,
    /**
     * It failed; for an operation, what ran was undone or completed as its verb's javadoc says (the exception tells
     * which).
     */
    FAILED,
    /** It was cancelled ({@link MergeCommand#cancel()}, or its thread interrupted). */
    CANCELLED
}
