package dev.esm.libvirt.testbed;

import dev.esm.api.DiskImage;
import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageAccess;
import dev.esm.api.SnapshotManager;
import dev.esm.api.errors.DomainNotFoundException;
import dev.esm.core.contract.Bed.DiskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * The two hosts of the tests that move domains between hosts sharing no storage: the bed on the host's libvirt
 * ({@link LibvirtBed}, images as local files) and the {@link SecondHost} (a manager through its storage API, into
 * folders of its own root). Knows each domain it made, and on {@link #close} removes it and its files from both.
 */
public final class TwoHosts implements AutoCloseable {
    private final LibvirtBed bed;
    private final String otherUri;
    private final SnapshotManager other;
    private final List<String> names = new ArrayList<>();
    private final List<String> uuids = new ArrayList<>();

    public TwoHosts() {
        bed = new LibvirtBed();
        otherUri = SecondHost.uri();
        other = SnapshotManager.connect(otherUri, ImageAccess.LIBVIRT_STORAGE);
    }

    /** @return the bed on the host the domains start on */
    public LibvirtBed bed() {
        return bed;
    }

    /** @return the other host's URI */
    public String otherUri() {
        return otherUri;
    }

    /** @return a manager on the other host, through its storage API */
    public SnapshotManager other() {
        return other;
    }

    /** @param dom a domain (defined here) to remove from both hosts at the end, with ESM's state of it there */
    public void track(String dom) {
        names.add(dom);
        uuids.add(uuid(dom));
    }

    /** @return the UUID of a domain defined here */
    public String uuid(String dom) {
        return dev.esm.core.xml.DomainXml.parse(bed.host().domainXml(dom, false)).uuid();
    }

    /**
     * @return the files ESM keeps of the domain (by its UUID) in its state folders on both hosts: journals, records,
     *         tree indexes and leases
     */
    public Set<String> stateFiles(String uuid) {
        Set<String> files = new TreeSet<>();
        for (Path dir : List.of(SecondHost.onThisMachine(otherUri, dev.esm.api.Settings.DEFAULT_HOST_STATE_DIRECTORY),
                Path.of("/var/lib/esm"))) {
            for (String f : bed.files(dir.toString())) {
                if (Path.of(f).getFileName().toString().startsWith(uuid + ".")) {
                    files.add(f);
                }
            }
        }
        return files;
    }

    /**
     * @return a domain set up here with s1 (0x11), s2 (0x22, child of s1) and 0x33 unsaved in its active layer, its
     *         images in a folder the other host does not see
     */
    public String domainWithTwoSnapshots() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "a.qcow2")));
        track(dom);
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(here(dom)).execute();
        bed.write(dom, "vda", 0x11);
        d.snapshot("s1").create();
        bed.write(dom, "vda", 0x22);
        d.snapshot("s2").create();
        bed.write(dom, "vda", 0x33);
        return dom;
    }

    /** @return ESM's folder for the domain here, one the other host does not see */
    public static String here(String dom) {
        return SecondHost.hostOnlyFolder(dom) + "/esm";
    }

    /** @return the folder the domain's files go to on the other host */
    public String there(String dom) {
        return SecondHost.folder(otherUri, dom);
    }

    /** @return every file of the domain here (the bed's folder and ESM's) */
    public Set<String> filesHere(String dom) {
        Set<String> files = new TreeSet<>(bed.files(bed.folder(dom)));
        files.addAll(bed.files(here(dom)));
        return files;
    }

    /** @return every file in the domain's folder on the other host, as this machine sees them */
    public Set<String> filesThere(String dom) {
        return new TreeSet<>(bed.files(SecondHost.onThisMachine(otherUri, there(dom)).toString()));
    }

    /** @return whether the bed's host has the domain defined */
    public boolean definedHere(String dom) {
        try {
            bed.manager().domain(dom);
            return true;
        } catch (DomainNotFoundException e) {
            return false;
        }
    }

    /** @return whether the other host has a domain of that name defined (asked of libvirt, not of ESM) */
    public boolean definedThere(String dom) {
        return LibvirtBed.run(List.of("virsh", "-c", otherUri, "list", "--all", "--name")).lines()
                .anyMatch(dom::equals);
    }

    /** Starts the domain on the other host and stops it again; fails if libvirt cannot start it. */
    public void startsAndStopsThere(String dom) {
        LibvirtBed.run(List.of("virsh", "-c", otherUri, "start", dom));
        LibvirtBed.run(List.of("virsh", "-c", otherUri, "destroy", dom));
    }

    /**
     * @param image an image as the other host names it
     * @return whether its first bytes read {@code pattern} there, through its backing chain as that host sees it
     *         (read with the other root's own {@code qemu-io}, so its absolute backing paths resolve)
     */
    public boolean imageReadsThere(DiskImage image, int pattern) {
        List<String> cmd = new ArrayList<>();
        if (SecondHost.inRoot(otherUri)) {
            cmd.addAll(List.of("chroot", SecondHost.root().toString()));
        }
        cmd.addAll(List.of("qemu-io", "-r", "-U", "-f", image.format().id(), "-c",
                String.format("read -P 0x%02x 0 %d", pattern, AbstractLibvirtBed.LENGTH), image.path()));
        return !LibvirtBed.run(cmd).contains("verification failed");
    }

    /** Removes every domain made, from both hosts, with its files; closes both managers and the bed. */
    @Override
    public void close() throws Exception {
        Connect c = new Connect(otherUri);
        try {
            for (String name : names) {
                try {
                    org.libvirt.Domain d = c.domainLookupByName(name);
                    if (d.isActive() == 1) {
                        d.destroy();
                    }
                    d.undefine(AbstractLibvirtBed.UNDEFINE_ALL);
                    d.free();
                } catch (LibvirtException gone) {
                    // not there
                }
                AbstractLibvirtBed.dropTransientPoolsUnder(c, there(name));
                removeTree(SecondHost.onThisMachine(otherUri, there(name)));
                removeTree(Path.of(SecondHost.hostOnlyFolder(name)));
            }
            removeStateThere(c);
        } finally {
            c.close();
            other.close();
            bed.close();
        }
    }

    /** Removes the volumes ESM kept of the domains in the other host's state pool (records, indexes, leases). */
    private void removeStateThere(Connect c) {
        try {
            org.libvirt.StoragePool pool = c.storagePoolLookupByName("esm-state");
            try {
                pool.refresh(0);
                for (String vol : pool.listVolumes()) {
                    if (uuids.stream().anyMatch(u -> vol.startsWith(u + "."))) {
                        org.libvirt.StorageVol v = pool.storageVolLookupByName(vol);
                        v.delete(0);
                        v.free();
                    }
                }
            } finally {
                pool.free();
            }
        } catch (LibvirtException none) {
            // no state pool there (nothing was moved), or a volume already gone
        }
    }

    private static void removeTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
