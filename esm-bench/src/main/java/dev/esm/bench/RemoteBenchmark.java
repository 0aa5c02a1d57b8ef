package dev.esm.bench;

import static dev.esm.bench.harness.Timing.time;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.ImageAccess;
import dev.esm.api.SnapshotManager;
import dev.esm.bench.harness.Args;
import dev.esm.bench.harness.Report;
import dev.esm.bench.harness.Rounds;
import dev.esm.bench.harness.Stats;
import dev.esm.junit5.ThrowawayDomain;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cost of reaching images through libvirt's storage API instead of as local files: create, revert and refresh
 * (offline, 1 and 4 disks) and an offline merge, through one libvirtd, three ways: local files over the local
 * URI, the storage API over the local URI, and the storage API over a remote URI (e.g. {@code qemu+ssh://} to the
 * same daemon). Connection set-up is outside the timings. The lab domains are made on this machine, so the remote
 * URI must reach this machine's daemon. The three variants take turns operation by operation (each on its own
 * throwaway domain), so their ratios hold on a machine whose load comes and goes.
 *
 * <p>Besides ESM's rows, two rows per storage-API variant time libvirt's calls alone: {@code revert-floor}, what any
 * tool must ask of libvirt for a revert through the storage API (the domain and its current snapshot read, one overlay
 * volume made and uploaded per disk, the domain defined, the current snapshot set, the old volumes removed), and
 * {@code coordination}, what ESM's host-side lock and journal add (a lease volume made, the pool listed, the volume removed, three journal
 * writes to the definition). {@code -Desm.bench.floorByLibvirt=true} has libvirt make the floor's overlays
 * ({@code qemu-img} on the host) instead of uploading them.
 *
 * <p>{@code java dev.esm.bench.RemoteBenchmark [--local=qemu:///system] [--remote=URI] [--json=FILE] [--smoke]}
 */
public final class RemoteBenchmark {
    private final int runs;
    private final Report report;

    private RemoteBenchmark(int runs, PrintStream out) {
        this.runs = runs;
        this.report = new Report(out);
    }

    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args);
        run(a.get("local", "qemu:///system"), a.get("remote", null), a.smoke(),
                a.json("esm-bench/target/benchmark-remote.json"), System.out);
    }

    /** Runs every row; returns them (also written to {@code json}). */
    public static List<Stats> run(String local, String remote, boolean smoke, Path json, PrintStream out)
            throws Exception {
        RemoteBenchmark b = new RemoteBenchmark(Args.runs(smoke, 2, 11), out);
        out.println("ESM image-access benchmark: local " + local + (remote == null ? "" : ", remote " + remote) + "; "
                + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.version")
                + "; the variants take turns, operation by operation, so a load that comes and goes hits them alike");
        b.report.header();
        for (int disks : new int[] {1, 4}) {
            b.ops(local, remote, disks);
        }
        return b.report.writeJson(json);
    }

    /** One way of reaching the images, with its own throwaway domain and manager. */
    private record Variant(String name, ImageAccess access, ThrowawayDomain lab, SnapshotManager esm,
            DomainSnapshots vm, String labUri) implements AutoCloseable {
        static Variant open(String name, String labUri, String uri, ImageAccess access, int disks)
                throws java.io.IOException {
            ThrowawayDomain lab = ThrowawayDomain.create(labUri, "esm-rbench", disks, 64L << 20);
            SnapshotManager esm = SnapshotManager.connect(uri, access);
            DomainSnapshots vm = esm.domain(lab.name());
            vm.setup(lab.folder() + "/esm").execute();
            return new Variant(name, access, lab, esm, vm, labUri);
        }

        @Override
        public void close() {
            try {
                esm.close();
                if (access == ImageAccess.LIBVIRT_STORAGE) {
                    dropPools(labUri, lab.folder().toString());
                }
            } finally {
                lab.close();
            }
        }

        /**
         * Stops the transient pools ESM made over the lab's folders through the storage API: they would outlive the
         * folders until libvirtd restarts. Best effort.
         */
        private static void dropPools(String uri, String folder) {
            try {
                org.libvirt.Connect c = new org.libvirt.Connect(uri, false);
                try {
                    for (String n : c.listStoragePools()) {
                        if (!n.startsWith("esm-")) {
                            continue;
                        }
                        org.libvirt.StoragePool p = c.storagePoolLookupByName(n);
                        try {
                            String xml = p.getXMLDesc(0);
                            if (p.isPersistent() == 0 && (xml.contains("<path>" + folder + "/")
                                    || xml.contains("<path>" + folder + "</path>"))) {
                                p.destroy();
                            }
                        } finally {
                            p.free();
                        }
                    }
                } finally {
                    c.close();
                }
            } catch (org.libvirt.LibvirtException e) {
                // best effort: a pool left behind is only a name in libvirtd until it restarts
            }
        }
    }

    private void ops(String labUri, String remote, int disks) throws Exception {
        List<Variant> variants = new ArrayList<>();
        try {
            variants.add(Variant.open("local/files", labUri, labUri, ImageAccess.LOCAL_FILES, disks));
            variants.add(Variant.open("local/storage-api", labUri, labUri, ImageAccess.LIBVIRT_STORAGE, disks));
            if (remote != null) {
                variants.add(Variant.open("remote/storage-api", labUri, remote, ImageAccess.LIBVIRT_STORAGE, disks));
            }
            // The variants take turns, operation by operation: 3 untimed rounds, then the timed ones.
            int warm = 3;
            Rounds creates = new Rounds();
            creates.run(warm, runs, variants, false, (round, v) ->
                    creates.record(round, v.name(), time(() -> v.vm().snapshot("c" + round.index()).create())));
            Rounds reverts = new Rounds();
            reverts.run(warm, runs, variants, false, (round, v) -> {
                double r = time(() -> v.vm().revert("c0").execute());
                double f = time(() -> v.vm().refresh().execute());
                reverts.record(round, "revert " + v.name(), r);
                reverts.record(round, "refresh " + v.name(), f);
            });
            // The first offline merge over the storage API starts a helper domain; the next ones reuse it.
            Map<String, List<Double>> merge = new LinkedHashMap<>();
            for (Variant v : variants) {
                v.vm().snapshot("m0").create();
                v.vm().snapshot("m1").create();
                merge.put(v.name(), List.of(time(() -> v.vm().delete("m0").execute())));
            }
            Rounds again = new Rounds();
            again.run(0, Math.min(runs, 3), variants, false, (round, v) -> {
                int k = round.index();
                v.vm().snapshot("n" + k).create();
                v.vm().snapshot("n" + k + "b").create();
                again.record(round, v.name(), time(() -> v.vm().delete("n" + k).execute()));
            });
            // The floor: what any tool needs from libvirt for a revert through the storage API, and what ESM's
            // host-side coordination costs on top, timed raw on each storage-API variant's domain.
            Map<String, List<Double>> floor = new LinkedHashMap<>();
            Map<String, List<Double>> coordination = new LinkedHashMap<>();
            for (Variant v : variants) {
                if (v.access() == ImageAccess.LIBVIRT_STORAGE) {
                    floor(v, floor, coordination);
                }
            }
            for (Variant v : variants) {
                if (floor.containsKey(v.name())) {
                    String raw = v.name().replace("storage-api", "raw");
                    add("access", "revert-floor", raw, disks, floor.get(v.name()), "libvirt calls alone: domain and"
                            + " current snapshot read, per disk an overlay volume made and uploaded (at once), define,"
                            + " current snapshot set, the old volumes removed (at once)");
                    add("access", "coordination", raw, disks, coordination.get(v.name()), "libvirt calls alone: a"
                            + " lease volume made, the pool listed, the volume removed, three journal writes to the definition");
                }
            }
            for (Variant v : variants) {
                add("access", "create", v.name(), disks, creates.get(v.name()), "");
                add("access", "revert", v.name(), disks, reverts.get("revert " + v.name()), "");
                add("access", "refresh", v.name(), disks, reverts.get("refresh " + v.name()), "");
                boolean api = v.access() == ImageAccess.LIBVIRT_STORAGE;
                add("access", "delete-middle", v.name(), disks, merge.get(v.name()),
                        api ? "offline merge; helper domain started" : "qemu-img commit");
                add("access", "delete-again", v.name(), disks, again.get(v.name()),
                        api ? "offline merge; helper domain reused" : "qemu-img commit");
            }
        } finally {
            for (Variant v : variants) {
                v.close();
            }
        }
    }

    /**
     * Times, {@code runs} times after warming up, the libvirt calls a revert through the storage API cannot do
     * without (the same calls ESM makes, with the same overlay bytes: each disk's active overlay downloaded once),
     * on the variant's domain, which is left as it was; and, apart, the calls of ESM's host-side coordination.
     */
    private void floor(Variant v, Map<String, List<Double>> floor, Map<String, List<Double>> coordination)
            throws Exception {
        org.libvirt.Connect conn = new org.libvirt.Connect(v.esm().uri(), false);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newCachedThreadPool();
        try {
            org.libvirt.Domain d = conn.domainLookupByName(v.lab().name());
            String inactive = d.getXMLDesc(2);
            List<String> sources = new ArrayList<>();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("<source file='([^']+)'").matcher(inactive);
            while (m.find()) {
                sources.add(m.group(1));
            }
            org.libvirt.StorageVol active = conn.storageVolLookupByPath(sources.get(0));
            org.libvirt.StoragePool folder = active.storagePoolLookupByVolume();
            byte[] image = download(conn, active);
            org.libvirt.StoragePool state = conn.storagePoolLookupByName("esm-state");
            int warm = 3;
            for (int i = 0; i < warm + runs; i++) {
                String tag = "floor" + i;
                double ms = time(() -> {
                    d.getXMLDesc(2);
                    org.libvirt.DomainSnapshot cur = d.snapshotCurrent();
                    String curXml = cur.getXMLDesc();
                    cur.free();
                    List<java.util.concurrent.Future<org.libvirt.StorageVol>> made = new ArrayList<>();
                    for (int k = 0; k < sources.size(); k++) {
                        String name = tag + "-" + k + ".qcow2";
                        String backing = sources.get(k);
                        if (Boolean.getBoolean("esm.bench.floorByLibvirt")) {
                            made.add(pool.submit(() -> folder.storageVolCreateXML("<volume><name>" + name
                                    + "</name><capacity>67108864</capacity><target><format type='qcow2'/><compat>1.1"
                                    + "</compat><permissions><mode>0600</mode></permissions></target><backingStore>"
                                    + "<path>" + backing + "</path><format type='qcow2'/></backingStore></volume>", 0)));
                            continue;
                        }
                        made.add(pool.submit(() -> {
                            org.libvirt.StorageVol vol = folder.storageVolCreateXML("<volume><name>" + name
                                    + "</name><capacity>" + image.length + "</capacity><allocation>0</allocation>"
                                    + "<target><format type='raw'/><permissions><mode>0600</mode></permissions>"
                                    + "</target></volume>", 0);
                            org.libvirt.Stream st = conn.streamNew(0);
                            vol.upload(st, 0, image.length, 0);
                            for (int sent = 0; sent < image.length; ) {
                                sent += st.send(sent == 0 ? image
                                        : java.util.Arrays.copyOfRange(image, sent, image.length));
                            }
                            st.finish();
                            st.free();
                            return vol;
                        }));
                    }
                    List<org.libvirt.StorageVol> vols = new ArrayList<>();
                    for (var f : made) {
                        vols.add(f.get());
                    }
                    conn.domainDefineXML(inactive).free();
                    d.snapshotCreateXML(curXml, 1 | 2).free(); // REDEFINE | CURRENT
                    List<java.util.concurrent.Future<?>> gone = new ArrayList<>();
                    for (org.libvirt.StorageVol vol : vols) {
                        gone.add(pool.submit(() -> {
                            vol.delete(0);
                            vol.free();
                            return null;
                        }));
                    }
                    for (var f : gone) {
                        f.get();
                    }
                });
                double co = time(() -> {
                    org.libvirt.StorageVol lease = state.storageVolCreateXML("<volume><name>" + tag + ".lease</name>"
                            + "<capacity>4096</capacity><allocation>0</allocation><target><format type='raw'/>"
                            + "<permissions><mode>0600</mode></permissions></target></volume>", 0);
                    state.listVolumes(); // a lease is held when no other generation is listed (VolumeLeases)
                    for (int w = 0; w < 2; w++) {
                        d.setMetadata(2, "<journal step='" + w + "'/>", "esmf", "https://esm.dev/xmlns/floor/1", 2);
                    }
                    d.setMetadata(2, null, null, "https://esm.dev/xmlns/floor/1", 2);
                    lease.delete(0);
                    lease.free();
                });
                if (i >= warm) {
                    floor.computeIfAbsent(v.name(), n -> new ArrayList<>()).add(ms);
                    coordination.computeIfAbsent(v.name(), n -> new ArrayList<>()).add(co);
                }
            }
            active.free();
            folder.free();
            state.free();
            d.free();
        } finally {
            pool.shutdownNow();
            conn.close();
        }
    }

    private static byte[] download(org.libvirt.Connect conn, org.libvirt.StorageVol vol) throws Exception {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        org.libvirt.Stream st = conn.streamNew(0);
        vol.download(st, 0, 0, 0); // the whole volume
        byte[] chunk = new byte[65536];
        for (int n; (n = st.receive(chunk)) > 0; ) {
            buf.write(chunk, 0, n);
        }
        st.finish();
        st.free();
        return buf.toByteArray();
    }

    private void add(String section, String op, String variant, int disks, List<Double> ms, String note) {
        report.add(section, op, variant, disks, "offline", 0, ms, note);
    }
}
