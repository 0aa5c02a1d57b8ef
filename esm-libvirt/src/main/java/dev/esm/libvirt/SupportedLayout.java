package dev.esm.libvirt;

import dev.esm.api.OverlayLayout;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The overlay layout a host can open: the one asked for, or {@link OverlayLayout#CLASSIC} where the host's QEMU (or,
 * through the storage API, its libvirt) is too old for subclusters. Stateless; thread-safe.
 */
final class SupportedLayout {
    private static final Logger LOG = LoggerFactory.getLogger(SupportedLayout.class);
    /** QEMU opens extended L2 entries from 5.2. */
    static final long QEMU_SUBCLUSTERS = 5_002_000L;
    /** libvirt's volume XML takes {@code <features><extended_l2/>} from 8.1 (the storage API's large folders). */
    static final long LIBVIRT_SUBCLUSTERS = 8_001_000L;
    /**
     * The first QEMU known to pull into an overlay with subclusters while the domain runs: QEMU 7.2's block stream
     * aborts the whole QEMU process (block/io.c, bdrv_co_do_copy_on_readv: assertion `skip_bytes < pnum'), as its
     * copy-on-read rounds to the top's 128 KiB clusters while the top's allocation changes every 4 KiB; QEMU 10.0
     * pulls them (LibvirtDepthContractIT, on both). The versions between were not tried.
     */
    static final long QEMU_PULLS_SUBCLUSTERS = 10_000_000L;

    /**
     * The layouts of a host's overlays.
     *
     * @param overlays the layout of the overlays ESM makes
     * @param pullable the layout of an overlay a live pull will go into (see {@link #QEMU_PULLS_SUBCLUSTERS})
     */
    record Layouts(OverlayLayout overlays, OverlayLayout pullable) {
    }

    private SupportedLayout() {
    }

    /**
     * @param conn the host's connection
     * @param wanted the layout the settings ask for
     * @param storageApi whether overlays are made through libvirt's storage API (libvirt makes some of them)
     * @return the layout to make overlays in
     */
    static Layouts of(Connect conn, OverlayLayout wanted, boolean storageApi) {
        if (wanted == OverlayLayout.CLASSIC) {
            return new Layouts(wanted, wanted);
        }
        long qemu;
        long libvirt;
        try {
            qemu = conn.getVersion();
            libvirt = storageApi ? conn.getLibVersion() : LIBVIRT_SUBCLUSTERS;
        } catch (LibvirtException e) {
            LOG.debug("the host's versions cannot be read ({}); overlays keep the classic layout", e.toString());
            return new Layouts(OverlayLayout.CLASSIC, OverlayLayout.CLASSIC);
        }
        OverlayLayout overlays = of(qemu, libvirt, wanted);
        return new Layouts(overlays, pullable(qemu, overlays));
    }

    /**
     * @param qemu the host's QEMU version
     * @param overlays the layout of the host's overlays
     * @return the layout of an overlay a live pull will go into: classic where QEMU cannot pull into subclusters
     */
    static OverlayLayout pullable(long qemu, OverlayLayout overlays) {
        return overlays == OverlayLayout.SUBCLUSTERS && qemu < QEMU_PULLS_SUBCLUSTERS ? OverlayLayout.CLASSIC
                : overlays;
    }

    /**
     * @param qemu the host's QEMU version (major * 1,000,000 + minor * 1,000 + micro)
     * @param libvirt the host's libvirt version, in the same form
     * @param wanted the layout the settings ask for
     * @return the layout to make overlays in
     */
    static OverlayLayout of(long qemu, long libvirt, OverlayLayout wanted) {
        if (wanted == OverlayLayout.SUBCLUSTERS && (qemu < QEMU_SUBCLUSTERS || libvirt < LIBVIRT_SUBCLUSTERS)) {
            LOG.debug("QEMU {} / libvirt {} on the host: overlays in the classic layout (subclusters need QEMU 5.2 and,"
                    + " through the storage API, libvirt 8.1)", qemu, libvirt);
            return OverlayLayout.CLASSIC;
        }
        return wanted;
    }
}
