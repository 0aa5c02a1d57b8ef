package dev.esm.libvirt.testbed;

import dev.esm.api.DiskImage;
import dev.esm.core.contract.Bed;
import dev.esm.core.model.DiskDef;
import dev.esm.core.model.DomainDefinition;
import dev.esm.core.port.Host;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.Xml;
import dev.esm.libvirt.LibvirtHost;
import dev.esm.libvirt.internal.connect.LibvirtErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.w3c.dom.Element;

/**
 * What the two beds over a real libvirtd share ({@link LibvirtBed}: the images are files of this machine;
 * {@link RemoteBed}: they are on the host, reached through ssh): tiny domains with no OS defined in a folder of the
 * bed's, data patterns read and written through HMP {@code qemu-io} while a domain runs (and by the subclass, on the
 * images, while it is shut off), the RAM-pattern guest ({@link RamGuest}), and the clean-up of every domain the bed
 * defined and of the storage pools ESM made below its folder.
 */
public abstract class AbstractLibvirtBed implements Bed {
    /** {@code virDomainUndefineFlags}: snapshot metadata (2), UEFI variables (4), checkpoint metadata (16). */
    public static final int UNDEFINE_ALL = 2 | 4 | 16;
    /** How many bytes from offset 0 a data pattern covers. */
    protected static final int LENGTH = 64 * 1024;

    /** The bed's folder (as the host sees it): a folder per domain below it. */
    protected final String root;
    /** The bed's own connection, for what ESM's port does not offer (pause, resume, clean-up). */
    protected final Connect conn;
    /** The bed's own port (HMP-capable), separate from the manager under test. */
    protected final LibvirtHost host;
    private final List<String> domains = new ArrayList<>();
    /** Managers made by {@link #manager(java.util.function.UnaryOperator)}, closed with the bed. */
    private final List<dev.esm.api.SnapshotManager> extraManagers = new ArrayList<>();

    /**
     * @param root the bed's folder on the host
     * @param conn the bed's own connection (closed with the bed)
     * @param host the bed's own port (closed with the bed)
     */
    protected AbstractLibvirtBed(String root, Connect conn, LibvirtHost host) {
        this.root = root;
        this.conn = conn;
        this.host = host;
    }

    /**
     * Opens the bed's own connection.
     *
     * @param failure what the exception says before libvirt's error when the connection cannot be opened
     * @throws IllegalStateException when it cannot be opened
     */
    protected static Connect open(String uri, String failure) {
        try {
            return new Connect(uri, false);
        } catch (LibvirtException e) {
            throw new IllegalStateException(failure + ": " + e, e);
        }
    }

    @Override
    public Host host() {
        return host;
    }

    /** @return the HMP-capable host */
    public LibvirtHost libvirtHost() {
        return host;
    }

    /** @return this bed's folder on the host */
    public String root() {
        return root;
    }

    @Override
    public String folder(String domain) {
        return root + "/" + domain;
    }

    /** @return the name of the next domain: the prefix, the bed's folder's suffix, and a number */
    protected final String nextDomainName(String prefix) {
        return prefix + root.substring(root.lastIndexOf('/') + 1).replace("bed-", "") + "-" + (domains.size() + 1);
    }

    /** @return a disk's element of the domain XML: the image at {@code image} (on the host) as {@code d} says */
    protected static String diskXml(DiskSpec d, String image) {
        return "<disk type='file' device='" + d.device() + "'><driver name='qemu' type='" + d.format().id()
                + "'/><source file='" + Xml.write(text(image)) + "'/><target dev='" + d.target() + "' bus='"
                + Bed.busOf(d.target()) + "'/>" + (d.device().equals("cdrom") ? "<readonly/>" : "") + "</disk>";
    }

    /** @return the start of a domain's XML, up to and with {@code <devices>}: 64 MiB, one vCPU, the given OS */
    protected static String domainXmlHead(String name, String os) {
        return "<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>" + os
                + "<devices>";
    }

    /** The i440FX machine without firmware of the bed's plain domains. */
    protected static final String PLAIN_OS = "<os><type arch='x86_64' machine='pc'>hvm</type></os>";

    /** Defines a domain, removed with the bed. */
    protected final void define(String name, String xml) {
        host.defineDomain(xml);
        domains.add(name);
    }

    /** @return a text node, for {@link Xml#write} to escape an attribute's value */
    protected static org.w3c.dom.Text text(String s) {
        return Xml.newDocument().createTextNode(s);
    }

    /**
     * Starts a new TPM domain once and powers it off, so that libvirt's {@code swtpm_setup} makes its state.
     *
     * @param exists whether a file exists where the bed's files are
     * @return the domain's name
     */
    protected static String withTpmState(Bed bed, String name, Predicate<String> exists) {
        bed.start(name);
        bed.stop(name);
        String state = bed.tpmStateFile(name);
        if (!exists.test(state)) {
            throw new IllegalStateException("libvirt made no TPM state at " + state + " on the host (is swtpm"
                    + " installed? scripts/libvirt-up.sh installs it)");
        }
        return name;
    }

    @Override
    public String tpmStateFile(String domain) {
        return DomainXml.parse(host.domainXml(domain, false)).tpmState().orElseThrow();
    }

    /** @return the active image of a disk, from the live or the persistent definition */
    public DiskImage active(String domain, String target, boolean live) {
        DomainDefinition def = DomainXml.parse(host.domainXml(domain, live));
        return def.disk(target).flatMap(DiskDef::image).orElseThrow();
    }

    /**
     * Runs a {@code qemu-io} command on a running domain's disk through its QEMU (HMP {@code qemu-io}).
     *
     * @return QEMU's answer (empty for a write that worked; "verification failed" for a read that found other data)
     */
    public String monitorIo(String domain, String target, String command) {
        return host.humanMonitorCommand(domain, "qemu-io -d " + qdev(domain, target) + " \"" + command + "\"");
    }

    private String qdev(String domain, String target) {
        Element root = Xml.parse(host.domainXml(domain, true)).getDocumentElement();
        for (Element disk : Xml.path(root, "devices", "disk")) {
            if (Xml.child(disk, "target").map(t -> t.getAttribute("dev")).orElse("").equals(target)) {
                String alias = Xml.child(disk, "alias").orElseThrow().getAttribute("name");
                return "/machine/peripheral/" + alias + "/virtio-backend";
            }
        }
        throw new IllegalArgumentException("no disk " + target);
    }

    /** Writes {@code bytes} of a pattern from offset 0 into an image no running QEMU has open. */
    protected abstract void writeImage(DiskImage image, int pattern, long bytes);

    /** Writes {@code bytes} of a pattern from {@code offset} into an image no running QEMU has open. */
    protected abstract void writeImageAt(DiskImage image, int pattern, long offset, long bytes);

    /** @return whether {@code bytes} from {@code offset} of an image, read through its chain, hold the pattern */
    protected abstract boolean imageReadsAt(DiskImage image, int pattern, long offset, long bytes);

    /** @return a builder of a manager under test on the bed's host, as {@link #manager()} is made */
    protected abstract dev.esm.api.SnapshotManager.Builder managerBuilder();

    @Override
    public synchronized dev.esm.api.SnapshotManager manager(
            java.util.function.UnaryOperator<dev.esm.api.SnapshotManager.Builder> settings) {
        dev.esm.api.SnapshotManager m = settings.apply(managerBuilder()).connect();
        extraManagers.add(m);
        return m;
    }

    @Override
    public void writeBlock(String domain, String target, int block, int pattern) {
        long offset = (long) block * BLOCK;
        if (host.state(domain).isActive()) {
            String cmd = String.format("write -P 0x%02x %d %d", pattern, offset, BLOCK);
            String out = host.humanMonitorCommand(domain, "qemu-io -d " + qdev(domain, target) + " \"" + cmd + "\"");
            if (!out.isBlank()) {
                throw new IllegalStateException("HMP qemu-io write failed: " + out);
            }
        } else {
            writeImageAt(active(domain, target, false), pattern, offset, BLOCK);
        }
    }

    @Override
    public boolean readsBlock(String domain, String target, int block, int pattern) {
        long offset = (long) block * BLOCK;
        if (host.state(domain).isActive()) {
            String cmd = String.format("read -P 0x%02x %d %d", pattern, offset, BLOCK);
            String out = host.humanMonitorCommand(domain, "qemu-io -d " + qdev(domain, target) + " \"" + cmd + "\"");
            return !out.contains("verification failed") && !out.toLowerCase().contains("error");
        }
        return imageReadsAt(active(domain, target, false), pattern, offset, BLOCK);
    }

    @Override
    public boolean imageReadsBlock(DiskImage image, int block, int pattern) {
        return imageReadsAt(image, pattern, (long) block * BLOCK, BLOCK);
    }

    /** Writes the boot sector into the first 512 bytes of an image no running QEMU has open. */
    protected abstract void writeBootSector(DiskImage image, byte[] sector);

    @Override
    public void write(String domain, String target, int pattern) {
        String cmd = String.format("write -P 0x%02x 0 %d", pattern, LENGTH);
        if (host.state(domain).isActive()) {
            String out = monitorIo(domain, target, cmd);
            if (!out.isBlank()) {
                throw new IllegalStateException("HMP qemu-io write failed: " + out);
            }
        } else {
            writeImage(active(domain, target, false), pattern, LENGTH);
        }
    }

    /** Writes {@code bytes} of a pattern from offset 0 into a shut-off domain's active layer. */
    public void writeLarge(String domain, String target, int pattern, long bytes) {
        writeImage(active(domain, target, false), pattern, bytes);
    }

    @Override
    public boolean reads(String domain, String target, int pattern) {
        String cmd = String.format("read -P 0x%02x 0 %d", pattern, LENGTH);
        if (host.state(domain).isActive()) {
            String out = monitorIo(domain, target, cmd);
            return !out.contains("verification failed") && !out.toLowerCase().contains("error");
        }
        return imageReads(active(domain, target, false), pattern);
    }

    /**
     * Like {@link #newDomain}, with the RAM-pattern guest ({@link RamGuest}) in the first disk's first sector: once
     * started, the guest keeps RAM filled with a byte the test sets through the RTC's CMOS (HMP {@code o}), and HMP
     * {@code xp} reads it back. Disk patterns written later over sector 0 do not stop the running guest (its code is
     * in RAM).
     */
    @Override
    public String newBootableDomain(List<DiskSpec> disks) {
        String name = newDomain(disks);
        writeBootSector(active(name, disks.get(0).target(), false), RamGuest.bootSector());
        return name;
    }

    /** Through HMP: see {@link RamGuest}. */
    @Override
    public void writeMemory(String domain, int pattern) {
        RamGuest.write(host, domain, pattern);
    }

    @Override
    public boolean memoryReads(String domain, int pattern) {
        return RamGuest.reads(host, domain, pattern);
    }

    @Override
    public void resume(String domain) {
        withDomain(domain, "resuming", Domain::resume);
    }

    @Override
    public void pause(String domain) {
        withDomain(domain, "pausing", Domain::suspend);
    }

    private interface DomainAction {
        void apply(Domain d) throws LibvirtException;
    }

    private void withDomain(String domain, String doing, DomainAction action) {
        Domain d = null;
        try {
            d = conn.domainLookupByName(domain);
            action.apply(d);
        } catch (LibvirtException e) {
            throw new IllegalStateException(doing + " " + domain + ": " + e, e);
        } finally {
            free(d);
        }
    }

    private static void free(Domain d) {
        if (d != null) {
            try {
                d.free();
            } catch (LibvirtException ignored) {
                // nothing to free
            }
        }
    }

    @Override
    public void start(String domain) {
        host.startDomain(domain);
    }

    @Override
    public void stop(String domain) {
        host.stopDomain(domain);
    }

    /**
     * Stops the transient storage pools ESM made over {@code root} and folders below it, on a connection of the
     * test's own; a failure is only reported.
     */
    public static void dropTransientPoolsUnder(Connect conn, String root) {
        try {
            for (String name : conn.listStoragePools()) {
                if (!name.startsWith("esm-")) {
                    continue;
                }
                org.libvirt.StoragePool p = conn.storagePoolLookupByName(name);
                try {
                    String xml = p.getXMLDesc(0);
                    if (p.isPersistent() == 0
                            && (xml.contains("<path>" + root + "/") || xml.contains("<path>" + root + "</path>"))) {
                        p.destroy();
                    }
                } finally {
                    p.free();
                }
            }
        } catch (LibvirtException e) {
            System.err.println("test bed: could not drop the pools under " + root + ": " + e.getMessage());
        }
    }

    /**
     * Removes every domain the bed defined (with its snapshot and checkpoint metadata, UEFI variables and tree index), the
     * storage pools ESM made below the bed's folder and over those domains' TPM state, closes the bed's connection
     * and port, then {@link #closeRest()}.
     */
    @Override
    public void close() {
        List<String> uuids = new ArrayList<>();
        for (String name : domains) {
            Domain d = null;
            try {
                d = conn.domainLookupByName(name);
                uuids.add(d.getUUIDString());
                if (d.isActive() == 1) {
                    d.destroy();
                }
                // Snapshot and checkpoint metadata and the UEFI variables too: without NVRAM libvirt
                // refuses to remove a UEFI domain, which then outlived every run.
                d.undefine(UNDEFINE_ALL);
            } catch (LibvirtException e) {
                if (!LibvirtErrors.isCode(e, "VIR_ERR_NO_DOMAIN")) {
                    // Not gone: say so, as a domain left behind outlives the run (and slows the next ones).
                    System.err.println("test bed: could not remove domain " + name + ": " + e.getMessage());
                }
            } finally {
                free(d);
            }
        }
        for (String uuid : uuids) {
            try {
                host.stateStore().removeTreeIndex(uuid); // a read leaves the domain's tree index in the state store
            } catch (RuntimeException e) {
                System.err.println("test bed: could not remove the tree index of " + uuid + ": " + e.getMessage());
            }
        }
        dropTransientPoolsUnder(conn, root);
        for (String uuid : uuids) {
            dropTransientPoolsUnder(conn, "/var/lib/libvirt/swtpm/" + uuid); // the pool ESM made over a TPM's state folder
        }
        try {
            conn.close();
        } catch (LibvirtException ignored) {
            // closing anyway
        }
        host.close();
        synchronized (this) {
            extraManagers.forEach(dev.esm.api.SnapshotManager::close);
        }
        closeRest();
    }

    /** Closes the manager under test and removes the bed's folder. */
    protected abstract void closeRest();
}
