package dev.esm.core.fake;

import dev.esm.api.errors.HypervisorException;
import dev.esm.core.xml.Xml;
import org.w3c.dom.Element;

/**
 * The fake's save images: the memory file a memory snapshot writes and a restore reads, in {@link FakeStorage}, as
 * {@code <fake-save ram='pattern'>} around the domain's live definition. A full file system can be set: a write then
 * leaves part of the file and fails, as libvirt's would (libvirt usually removes it; the fake leaves it, to check that
 * ESM does).
 *
 * <p>Thread-safety: not thread-safe: {@link FakeHost} holds its lock around every use.
 */
final class FakeSaveImages {
    /** A save image read back: the saved domain's definition and its RAM. */
    record Saved(String domainXml, String ramAttribute) {
        /** @return the saved RAM's pattern */
        int ram() {
            return Integer.parseInt(ramAttribute);
        }
    }

    private final FakeStorage storage;
    /** When not negative, a write fails after this many bytes (a full file system). */
    private int space = -1;

    FakeSaveImages(FakeStorage storage) {
        this.storage = storage;
    }

    /** Makes writes fail as on a full file system, after writing {@code bytes}; -1 for enough room. */
    void space(int bytes) {
        space = bytes;
    }

    /** Writes a running domain's RAM and live definition to {@code file}. */
    void write(String file, int ram, String liveXml) {
        if (space >= 0) {
            storage.writeAtomically(file, ("<fake-save ram='" + ram + "'>").substring(0, space));
            throw new HypervisorException("save failed", 38, "VIR_ERR_SYSTEM_ERROR",
                    "unable to write " + file + ": No space left on device", null);
        }
        storage.writeAtomically(file, "<fake-save ram='" + ram + "'>"
                + liveXml.replaceFirst("^<\\?xml[^>]*>", "") + "</fake-save>");
    }

    /** @return the save image in {@code file}; refused as libvirt refuses a missing or foreign file */
    Saved read(String file) {
        String text = storage.read(file).orElseThrow(() -> new HypervisorException("no save file", 38,
                "VIR_ERR_SYSTEM_ERROR", "Failed to open domain image file '" + file + "'", null));
        Element root;
        try {
            root = Xml.parse(text).getDocumentElement();
            if (!"fake-save".equals(root.getTagName()) || Xml.child(root, "domain").isEmpty()) {
                throw new IllegalArgumentException("not a save image");
            }
        } catch (RuntimeException e) {
            throw new HypervisorException("bad save file", 1, "VIR_ERR_OPERATION_FAILED",
                    "image magic is incorrect: " + file, null);
        }
        return new Saved(Xml.write(Xml.child(root, "domain").orElseThrow()), root.getAttribute("ram"));
    }
}
