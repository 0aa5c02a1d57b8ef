package dev.esm.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.esm.api.OverlayLayout;
import org.junit.jupiter.api.Test;

class SupportedLayoutTest {
    @Test
    void subclustersAreMadeWhereQemuIs52OrLaterAndLibvirtIs81OrLater() {
        assertEquals(OverlayLayout.SUBCLUSTERS, SupportedLayout.of(7_002_022, 9_000_000, OverlayLayout.SUBCLUSTERS));
        assertEquals(OverlayLayout.SUBCLUSTERS, SupportedLayout.of(5_002_000, 8_001_000, OverlayLayout.SUBCLUSTERS));
    }

    @Test
    void anOlderQemuOrLibvirtGetsTheClassicLayout() {
        assertEquals(OverlayLayout.CLASSIC, SupportedLayout.of(5_001_000, 9_000_000, OverlayLayout.SUBCLUSTERS));
        assertEquals(OverlayLayout.CLASSIC, SupportedLayout.of(7_002_000, 8_000_000, OverlayLayout.SUBCLUSTERS));
    }

    @Test
    void theClassicLayoutStaysClassicOnAnyHost() {
        assertEquals(OverlayLayout.CLASSIC, SupportedLayout.of(10_000_000, 11_003_000, OverlayLayout.CLASSIC));
    }

    @Test
    void anOverlayALivePullWillGoIntoIsClassicWhereQemuAbortsOnAPullIntoSubclusters() {
        assertEquals(OverlayLayout.CLASSIC, SupportedLayout.pullable(7_002_022, OverlayLayout.SUBCLUSTERS));
        assertEquals(OverlayLayout.CLASSIC, SupportedLayout.pullable(9_002_000, OverlayLayout.SUBCLUSTERS));
        assertEquals(OverlayLayout.SUBCLUSTERS, SupportedLayout.pullable(10_000_000, OverlayLayout.SUBCLUSTERS));
        assertEquals(OverlayLayout.CLASSIC, SupportedLayout.pullable(10_000_000, OverlayLayout.CLASSIC));
    }
}
