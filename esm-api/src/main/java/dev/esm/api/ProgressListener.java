package dev.esm.api;

/**
 * Receives the progress of the merges a delete or commit runs (libvirt block jobs, or {@code qemu-img commit}
 * offline). Called from the thread that runs the command, or from libvirt's event thread; keep it quick and do
 * not call ESM from it.
 */
@FunctionalInterface
public interface ProgressListener {

    /** @param progress how far one disk's merge has got */
    void onProgress(Progress progress);

    /** A listener that ignores progress. */
    ProgressListener NONE = p -> { };
}
