package dev.esm.core.engine;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/**
 * Tasks on the manager's executor ({@link dev.esm.api.Settings#executor()}; the thread policy is in
 * docs/architecture.md): submitted so that a refusal is the task's failure, and awaited through interrupts.
 * Stateless; no thread or pool of its own.
 */
final class Workers {
    private Workers() {
    }

    /**
     * Submits {@code task} to the manager's executor; a refusal (an executor shut down or full) becomes the task's
     * failure, so that the caller awaits what it started and applies its failure policy as for any failed step.
     */
    static <T> Future<T> submit(ExecutorService workers, Callable<T> task) {
        try {
            return workers.submit(task);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("the manager's executor refused a step ("
                    + e.getMessage() + "); was it shut down while a manager used it?", e));
        }
    }

    /** Waits for {@code f} whatever interrupts come meanwhile; the thread's interrupt flag is set again after. */
    static <T> T getUninterruptibly(Future<T> f) throws ExecutionException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
