package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.Settings;
import dev.esm.api.SnapshotManager;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import dev.esm.core.port.Host;
import dev.esm.core.port.Storage;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One thread policy: an operation runs on the caller's thread, and whatever it runs at once (a run of overlays, the
 * merges of several disks and the removals after them, a restore prepared ahead) runs on the executor of the
 * manager's {@link Settings}, on no other thread; the executor is never shut down by ESM.
 */
class ExecutorThreadsTest {
    private static final List<String> DISKS = List.of("vda", "vdb", "vdc");

    /** The threads the configured executor made. */
    private final Set<Thread> made = ConcurrentHashMap.newKeySet();
    /** How many tasks the configured executor ran. */
    private final AtomicInteger tasks = new AtomicInteger();
    private final ThreadFactory counting = r -> {
        Thread t = new Thread(r, "test-worker-" + made.size());
        t.setDaemon(true);
        made.add(t);
        return t;
    };
    private final ExecutorService pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
            new SynchronousQueue<>(), counting) {
        @Override
        protected void beforeExecute(Thread t, Runnable r) {
            tasks.incrementAndGet();
        }
    };
    /** Each port method called, with the threads it was called on. */
    private final Map<String, Set<Thread>> callers = new ConcurrentHashMap<>();
    private final FakeBed bed = new FakeBed();

    @AfterEach
    void shutDown() {
        pool.shutdownNow();
    }

    /** The fake host and its storage, each call's thread recorded. */
    private Host watched() {
        Host real = bed.host();
        Storage storage = (Storage) Proxy.newProxyInstance(Storage.class.getClassLoader(),
                new Class<?>[] {Storage.class}, (proxy, m, args) -> {
                    record("storage." + m.getName());
                    return invoke(m, real.storage(), args);
                });
        return (Host) Proxy.newProxyInstance(Host.class.getClassLoader(), new Class<?>[] {Host.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("storage")) {
                        return storage;
                    }
                    record(m.getName());
                    return invoke(m, real, args);
                });
    }

    private void record(String method) {
        callers.computeIfAbsent(method, k -> ConcurrentHashMap.newKeySet()).add(Thread.currentThread());
    }

    private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private SnapshotManager manager(ExecutorService executor) {
        Settings settings = SnapshotManager.builder("test:///fake").executor(executor).settings();
        return new CoreSnapshotManager(watched(), Clock.systemUTC(), (p, i, s) -> { }, settings);
    }

    private boolean onPool(String method) {
        Set<Thread> threads = callers.getOrDefault(method, Set.of());
        return !threads.isEmpty() && made.containsAll(threads);
    }

    @Test
    void concurrentStepsMergesAndTheRestoreAheadRunOnTheConfiguredExecutorAndNowhereElse() {
        String dom = bed.newBootableDomain(DISKS.stream().map(t -> DiskSpec.qcow2(t, t + ".qcow2")).toList());
        SnapshotManager esm = manager(pool);
        DomainSnapshots d = esm.domain(dom);
        d.setup("/fake/esm").execute();
        DISKS.forEach(t -> bed.write(dom, t, 0x41));
        d.snapshot("s1").create();
        DISKS.forEach(t -> bed.write(dom, t, 0x42));
        d.snapshot("s2").create();
        bed.start(dom);
        bed.writeMemory(dom, 0x43);
        d.snapshot("m1").memory().create();
        d.delete("s1").execute(); // three live merges at once, then their removals
        bed.writeMemory(dom, 0x44);
        d.revert("m1").running().execute(); // the restore's definition prepared ahead
        esm.close();

        assertTrue(onPool("storage.createOverlay"), "a run of overlays: " + callers.get("storage.createOverlay"));
        assertTrue(onPool("blockCommit"), "the disks' merges: " + callers.get("blockCommit"));
        assertTrue(callers.get("savedDomainXml").stream().anyMatch(made::contains),
                "the restore prepared ahead: " + callers.get("savedDomainXml"));
        Set<Thread> others = callers.values().stream().flatMap(Set::stream)
                .filter(t -> t != Thread.currentThread() && !made.contains(t)).collect(Collectors.toSet());
        assertEquals(Set.of(), others, "no port call on a thread that is neither the caller's nor the executor's");
        assertTrue(tasks.get() >= DISKS.size() * 2 + 1, "tasks run: " + tasks.get());
        assertEquals(DomainState.RUNNING, bed.host().state(dom));
        assertTrue(bed.memoryReads(dom, 0x43));
        assertFalse(pool.isShutdown(), "closing the manager leaves the caller's executor to the caller");
    }

    @Test
    void aStepTheExecutorRefusesFailsTheOperationWhichIsUndone() {
        String dom = bed.newDomain(DISKS.stream().map(t -> DiskSpec.qcow2(t, t + ".qcow2")).toList());
        ExecutorService closing = new ThreadPoolExecutor(0, 4, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                counting);
        DomainSnapshots d = manager(closing).domain(dom);
        d.setup("/fake/esm").execute();
        DISKS.forEach(t -> bed.write(dom, t, 0x41));
        closing.shutdown(); // by its owner, while a manager still uses it
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.snapshot("s1").create());
        assertTrue(e.getMessage().contains("executor"), e.getMessage());
        assertFalse(d.exists("s1"));
        assertEquals(Set.of(), bed.files("/fake/esm").stream().filter(f -> f.contains("s1"))
                .collect(Collectors.toSet()), "the overlays made are removed again");
        DISKS.forEach(t -> assertTrue(bed.reads(dom, t, 0x41), t));
    }
}
