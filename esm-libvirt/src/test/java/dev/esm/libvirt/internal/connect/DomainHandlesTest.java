package dev.esm.libvirt.internal.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import dev.esm.libvirt.internal.connect.DomainHandles;

/**
 * Kept domain handles: one lookup for many calls, a handle freed exactly once and never while a call uses it (a
 * handle freed under a call would make libvirt-java use freed memory), dropped when the domain it names is gone, and
 * the least recently used ones freed beyond {@link DomainHandles#KEPT}. The handles are mocks: only the frees are
 * looked at, which a real libvirt does not report.
 */
class DomainHandlesTest {
    private final DomainHandles handles = new DomainHandles();
    private final List<Domain> looked = new ArrayList<>();

    private DomainHandles.Lookup lookup() {
        return () -> {
            Domain d = mock(Domain.class);
            looked.add(d);
            return d;
        };
    }

    @Test
    void aKeptHandleServesLaterCallsWithoutAnotherLookup() throws LibvirtException {
        DomainHandles.Use first = handles.acquire("web", lookup());
        handles.release(first);
        DomainHandles.Use second = handles.acquire("web", lookup());
        assertTrue(first.fresh());
        assertFalse(second.fresh());
        assertSame(first.domain(), second.domain());
        assertEquals(1, looked.size());
        handles.release(second);
        verify(looked.get(0), never()).free();
    }

    @Test
    void aDiscardedHandleIsFreedOnlyWhenItsLastCallEndsAndTheNextCallLooksUpAgain() throws LibvirtException {
        DomainHandles.Use a = handles.acquire("web", lookup());
        DomainHandles.Use b = handles.acquire("web", lookup());
        handles.discard(a); // the domain is gone: a's call saw VIR_ERR_NO_DOMAIN
        handles.release(a);
        verify(looked.get(0), never()).free(); // b still uses it
        DomainHandles.Use c = handles.acquire("web", lookup());
        assertTrue(c.fresh());
        assertNotSame(b.domain(), c.domain());
        handles.release(b);
        verify(looked.get(0), times(1)).free();
        handles.release(c);
        verify(looked.get(1), never()).free();
    }

    @Test
    void beyondTheKeptNumberTheLeastRecentlyUsedAreFreedOnceNoCallUsesThem() throws LibvirtException {
        DomainHandles.Use busy = handles.acquire("d0", lookup());
        for (int i = 1; i <= DomainHandles.KEPT; i++) {
            handles.release(handles.acquire("d" + i, lookup()));
        }
        // d0 was the eldest when d256 came: dropped, but its call still runs.
        verify(looked.get(0), never()).free();
        handles.release(busy);
        verify(looked.get(0), times(1)).free();
        for (int i = 1; i <= DomainHandles.KEPT; i++) {
            verify(looked.get(i), never()).free();
        }
        handles.release(handles.acquire("d1", lookup())); // d1 is kept: no lookup
        assertEquals(DomainHandles.KEPT + 1, looked.size());
    }

    @Test
    void twoLookupsOfOneNameAtOnceKeepTheLaterAndFreeTheEarlierWhenItsCallEnds() throws LibvirtException {
        List<DomainHandles.Use> inner = new ArrayList<>();
        // The first lookup runs while another thread's lookup of the same name finishes first (simulated inline).
        DomainHandles.Use outer = handles.acquire("web", () -> {
            inner.add(handles.acquire("web", lookup()));
            return lookup().find();
        });
        assertEquals(2, looked.size());
        verify(looked.get(0), never()).free();
        handles.release(inner.get(0));
        verify(looked.get(0), times(1)).free(); // replaced by the later handle, and no call uses it any more
        handles.release(outer);
        verify(looked.get(1), never()).free();
        assertSame(looked.get(1), handles.acquire("web", lookup()).domain());
    }

    @Test
    void closeFreesEveryIdleHandleOnceAndAHandleInUseWhenItsCallEnds() throws LibvirtException {
        handles.release(handles.acquire("a", lookup()));
        DomainHandles.Use busy = handles.acquire("b", lookup());
        handles.close();
        verify(looked.get(0), times(1)).free();
        verify(looked.get(1), never()).free();
        handles.release(busy);
        verify(looked.get(1), times(1)).free();
        DomainHandles.Use late = handles.acquire("c", lookup()); // after close: looked up, not kept
        handles.release(late);
        verify(looked.get(2), times(1)).free();
        handles.close();
        verify(looked.get(0), times(1)).free();
    }
}
