package dev.esm.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.errors.EsmException;
import dev.esm.core.contract.Bed.DiskSpec;
import dev.esm.core.contract.FakeBed;
import dev.esm.core.port.Host;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A revert to running prepares the restore's definition (the memory file's saved definition, read through the host)
 * on a thread of the manager's executor while the steps before the restore run, and a failure there changes nothing: the step prepares
 * it again and fails as before.
 */
class RestoreAheadTest {
    private final FakeBed bed = new FakeBed();
    /** The threads that read a memory file's saved definition. */
    private final List<String> readers = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch read = new CountDownLatch(1);

    /** The fake host, with the saved definition's readers recorded and the power-off held until one has read. */
    private Host watched() {
        Host real = bed.host();
        return (Host) Proxy.newProxyInstance(Host.class.getClassLoader(), new Class<?>[] {Host.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("savedDomainXml")) {
                        readers.add(Thread.currentThread().getName());
                        read.countDown();
                    } else if (method.getName().equals("stopDomain")) {
                        assertTrue(read.await(10, TimeUnit.SECONDS), "the saved definition is read while the"
                                + " domain is powered off, not after");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private String runningWithMemorySnapshot() {
        String dom = bed.newBootableDomain(List.of(DiskSpec.qcow2("vda", "sys.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup("/fake/esm").execute();
        bed.start(dom);
        bed.writeMemory(dom, 0x41);
        d.snapshot("m1").memory().create();
        bed.writeMemory(dom, 0x42);
        return dom;
    }

    @Test
    void theSavedDefinitionIsReadOnAHelperThreadWhileTheDomainIsPoweredOff() {
        String dom = runningWithMemorySnapshot();
        new CoreSnapshotManager(watched()).domain(dom).revert("m1").running().execute();
        assertEquals(1, readers.size(), "read once: " + readers);
        assertTrue(readers.get(0).startsWith("esm-worker-"), "on a thread of the manager's executor: " + readers);
        assertEquals(DomainState.RUNNING, bed.host().state(dom));
        assertTrue(bed.memoryReads(dom, 0x41));
    }

    @Test
    void aFailedReadAheadIsReadAgainByTheRestoreStepWhichFailsAsBefore() {
        String dom = runningWithMemorySnapshot();
        bed.damage(bed.manager().domain(dom).chain().get("m1").memoryFile().orElseThrow());
        DomainSnapshots d = new CoreSnapshotManager(watched()).domain(dom);
        assertThrows(EsmException.class, () -> d.revert("m1").running().execute());
        assertTrue(readers.get(0).startsWith("esm-worker-"), "on a thread of the manager's executor: " + readers);
        assertTrue(readers.subList(1, readers.size()).contains(Thread.currentThread().getName()),
                "the restore step read it again itself: " + readers);
        assertEquals(DomainState.SHUTOFF, bed.host().state(dom));
    }
}
