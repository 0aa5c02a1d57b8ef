package dev.esm.libvirt.internal.pool;

import dev.esm.api.ProgressListener;
import dev.esm.core.port.Cancellation;
import dev.esm.core.xml.Xml;
import dev.esm.libvirt.internal.jobs.MergeHelpers;
import java.util.List;
import java.util.function.Supplier;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.w3c.dom.Element;

/**
 * {@link PoolStorage}'s offline merges and pulls: each runs in a paused helper domain on the host, kept for the next
 * job ({@link MergeHelpers}; libvirt has no offline commit), made for the host's CPU architecture (read from its
 * capabilities at the first helper, {@code x86_64} if that fails).
 *
 * <p>Thread-safety: thread-safe; {@link MergeHelpers} is, and the architecture is read at most a few times (a
 * volatile field: two first jobs at once may both read it, to the same value).
 */
final class HelperDomainMerges implements AutoCloseable {
    private final Connect conn;
    private final MergeHelpers helpers;
    private volatile String arch;

    /**
     * @param conn the connection (owned by {@code host})
     * @param host the host the helper domains run on
     * @param running the names of the host's running domains (for merge helpers left by stopped clients)
     */
    HelperDomainMerges(Connect conn, dev.esm.core.port.Host host, Supplier<List<String>> running) {
        this.conn = conn;
        this.helpers = new MergeHelpers(conn, host, running, this::arch);
    }

    /** @see dev.esm.core.port.Storage#commit */
    void commit(String top, String base, String disk, ProgressListener listener, Cancellation cancel) {
        helpers.commit(top, base, disk, listener, cancel);
    }

    /**
     * A block pull with {@code anchor} as its base; QEMU writes the new backing name, {@code anchor}'s path, into the
     * header.
     *
     * @see dev.esm.core.port.Storage#pull
     */
    void pull(String image, String anchor, String disk, ProgressListener listener, Cancellation cancel) {
        helpers.pull(image, anchor, disk, listener, cancel);
    }

    private String arch() {
        if (arch == null) {
            try {
                Element root = Xml.parse(conn.getCapabilities()).getDocumentElement();
                arch = Xml.child(root, "host").flatMap(h -> Xml.child(h, "cpu")).flatMap(c -> Xml.child(c, "arch"))
                        .map(e -> e.getTextContent().trim()).orElse("x86_64");
            } catch (LibvirtException e) {
                arch = "x86_64";
            }
        }
        return arch;
    }

    @Override
    public void close() {
        helpers.close();
    }
}
