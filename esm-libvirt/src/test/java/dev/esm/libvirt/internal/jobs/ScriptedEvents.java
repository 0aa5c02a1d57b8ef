package dev.esm.libvirt.internal.jobs;

import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.libvirt.DomainBlockJobInfo;
import org.libvirt.LibvirtException;
import org.libvirt.event.BlockJobStatus;

/**
 * A disk's block-job events for the drivers' unit tests: what libvirt sent, then one poll's answer per entry
 * (empty: nothing within the poll); with the live XML, job infos and refusals the mocked domain gives.
 */
final class ScriptedEvents extends LinkedBlockingQueue<BlockJobStatus> {
    private final Deque<Optional<BlockJobStatus>> polls = new ArrayDeque<>();

    ScriptedEvents then(BlockJobStatus... statuses) {
        Arrays.stream(statuses).forEach(s -> polls.add(Optional.ofNullable(s)));
        return this;
    }

    @Override
    public BlockJobStatus poll(long timeout, TimeUnit unit) throws InterruptedException {
        BlockJobStatus sent = super.poll(0, unit);
        if (sent != null) {
            return sent;
        }
        Optional<BlockJobStatus> next = polls.poll();
        return next == null ? null : next.orElse(null);
    }

    /** @return a live domain XML whose disk {@code vda} has this chain, the active layer first */
    static String chain(String... images) {
        StringBuilder x = new StringBuilder("<domain><devices><disk type='file' device='disk'><source file='")
                .append(images[0]).append("'/><target dev='vda' bus='virtio'/>");
        for (int i = 1; i < images.length; i++) {
            x.append("<backingStore type='file'><source file='").append(images[i]).append("'/>");
        }
        x.append("</backingStore>".repeat(images.length - 1)).append("</disk></devices></domain>");
        return x.toString();
    }

    /** @return a running job of type {@code type} ({@code virDomainBlockJobType}) */
    static DomainBlockJobInfo job(int type, long cur, long end) {
        DomainBlockJobInfo i = new DomainBlockJobInfo();
        i.type = type;
        i.cur = cur;
        i.end = end;
        return i;
    }

    /** @return libvirt's answer for a disk with no job */
    static DomainBlockJobInfo noJob() {
        return new DomainBlockJobInfo();
    }

    /** @return libvirt's refusal with this message */
    static LibvirtException refused(String message) {
        LibvirtException e = mock(LibvirtException.class);
        when(e.getMessage()).thenReturn(message);
        return e;
    }

    /** @return a lease this client lost (another client's now) */
    static dev.esm.core.port.StateStore.Lease lostLease() {
        return new dev.esm.core.port.StateStore.Lease() {
            @Override
            public void ensureHeld() {
                throw new dev.esm.api.errors.LeaseLostException("lost",
                        dev.esm.api.errors.LeaseLostException.Fate.PENDING);
            }

            @Override
            public void close() {
            }
        };
    }
}
