package dev.esm.api;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The default {@link Settings#executor()}: one for the process, shared by every manager that is not given one.
 * Daemon threads named {@code esm-worker-N}, made as needed and ended after a minute unused (a cached thread pool), so
 * that it holds no thread while idle and never keeps the JVM alive. Nobody owns it but this class: its
 * {@code shutdown} methods throw, so that one manager's caller cannot stop every other manager's operations.
 *
 * <p>Thread-safety: thread-safe.
 */
final class SharedWorkers extends AbstractExecutorService {
    static final SharedWorkers INSTANCE = new SharedWorkers();

    private final AtomicInteger made = new AtomicInteger();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "esm-worker-" + made.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private SharedWorkers() {
    }

    @Override
    public void execute(Runnable command) {
        threads.execute(command);
    }

    @Override
    public void shutdown() {
        throw refused();
    }

    @Override
    public List<Runnable> shutdownNow() {
        throw refused();
    }

    private static UnsupportedOperationException refused() {
        return new UnsupportedOperationException("ESM's default executor is shared by every manager of the process"
                + " and is never shut down (its idle threads end by themselves); give a manager an executor of your"
                + " own to shut it down");
    }

    @Override
    public boolean isShutdown() {
        return false;
    }

    @Override
    public boolean isTerminated() {
        return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        unit.sleep(timeout); // it never terminates
        return false;
    }

    @Override
    public String toString() {
        return "ESM's default executor (esm-worker-N daemon threads, made as needed)";
    }
}
