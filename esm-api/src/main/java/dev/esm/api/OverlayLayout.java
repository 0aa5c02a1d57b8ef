package dev.esm.api;

/**
 * How the qcow2 overlays ESM makes are laid out: the images a guest writes into after every create, revert and
 * refresh. Both layouts hold the same data and are opened by every QEMU tool; they differ in what a guest's first
 * write into a region costs.
 *
 * @see Settings#overlayLayout()
 */
public enum OverlayLayout {
    /**
     * The default: 128 KiB clusters of 32 subclusters of 4 KiB each ({@code extended_l2=on}, QEMU 5.2 and later). A
     * guest's first 4 KiB write into a region allocates only its own 4 KiB: nothing is copied up from the backing
     * image. On a host whose QEMU is older than 5.2 (and, through libvirt's storage API in folders of many files,
     * where libvirt is older than 8.1) ESM makes {@link #CLASSIC} overlays instead.
     */
    SUBCLUSTERS,
    /**
     * The layout {@code qemu-img create -f qcow2} makes by default: 64 KiB clusters without subclusters. A guest's
     * first write into a cluster first copies the whole cluster from the backing image.
     */
    CLASSIC
}
