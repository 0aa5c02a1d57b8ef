package dev.esm.junit5;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * A tiny lab domain for demos and tests: 64 MiB, one vCPU, TCG (no KVM needed), no OS (it sits in SeaBIOS), one
 * 16 MiB qcow2 disk and one 8 MiB raw disk (or as many qcow2 disks as asked) in a fresh folder under
 * {@code /var/tmp/esm-demo} (world-traversable, as QEMU runs as another user); or, {@link #withRamFiller}, as much
 * RAM as asked and a guest that fills it. Made with {@code qemu-img} and libvirt-java, not with ESM: defining domains
 * is not ESM's job. {@link #close()} removes the domain, its snapshot metadata and the folder.
 * {@link EsmThrowawayDomain} makes one per test class. Not thread-safe.
 */
public final class ThrowawayDomain implements AutoCloseable {
    private final String uri;
    private final String name;
    private final Path folder;
    private final long memory;

    private ThrowawayDomain(String uri, String name, Path folder, long memory) {
        this.uri = uri;
        this.name = name;
        this.folder = folder;
        this.memory = memory;
    }

    /**
     * Makes the folder and images and defines the domain.
     *
     * @param uri the libvirt URI
     * @param prefix the start of the domain's name
     */
    public static ThrowawayDomain create(String uri, String prefix) throws IOException {
        return create(uri, prefix, -1, 16L << 20);
    }

    /**
     * A lab domain with {@code disks} qcow2 disks of {@code size} bytes ({@code vda}, {@code vdb}, ...); with -1,
     * the demo's pair of a qcow2 and a raw disk.
     */
    public static ThrowawayDomain create(String uri, String prefix, int disks, long size) throws IOException {
        return create(uri, prefix, null, disks, size);
    }

    /**
     * A lab domain with a name of the caller's choosing (which must not be taken), else as
     * {@link #create(String, String, int, long)}.
     */
    public static ThrowawayDomain named(String uri, String name, int disks, long size) throws IOException {
        return create(uri, name, name, disks, size);
    }

    /**
     * A lab domain whose guest fills its RAM ({@link RamFiller}): {@code memoryMiB} of RAM (more than 16, less than
     * 3584, where QEMU's {@code pc} machine starts putting RAM above 4 GiB), one 16 MiB qcow2 disk {@code hda} on IDE
     * whose first sector is the filler's boot sector, and no USB controller or memory balloon. Once started, the
     * guest fills every byte from 1 MiB up with seed 0's pattern ({@link #fillRam} waits for it, or sets another
     * seed), so a memory snapshot of it is about {@code memoryMiB} large. IDE rather than virtio: the BIOS drives IDE
     * without rings in RAM, and a virtio disk writes into its ring (the guest has overwritten it) whenever QEMU polls
     * it, for instance when the domain resumes after a snapshot.
     */
    public static ThrowawayDomain withRamFiller(String uri, String prefix, int memoryMiB) throws IOException {
        if (memoryMiB <= 16 || memoryMiB >= 3584) {
            throw new IllegalArgumentException("the RAM filler needs more than 16 and less than 3584 MiB: "
                    + memoryMiB);
        }
        return create(uri, prefix, null, 1, 16L << 20, memoryMiB, true);
    }

    private static ThrowawayDomain create(String uri, String prefix, String chosen, int disks, long size)
            throws IOException {
        return create(uri, prefix, chosen, disks, size, 64, false);
    }

    private static ThrowawayDomain create(String uri, String prefix, String chosen, int disks, long size,
                                          int memoryMiB, boolean filler) throws IOException {
        Path base = Path.of("/var/tmp/esm-demo");
        Files.createDirectories(base);
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path folder = Files.createTempDirectory(base, prefix + "-");
        // QEMU runs as libvirt-qemu: the folder must let it through.
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
        String name = chosen != null ? chosen : folder.getFileName().toString();
        StringBuilder devices = new StringBuilder();
        if (filler) {
            Path img = folder.resolve("disk0.qcow2");
            Path boot = folder.resolve("boot.bin");
            run("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), Long.toString(size));
            Files.write(boot, RamFiller.bootSector());
            run("qemu-io", "-f", "qcow2", "-c", "write -s " + boot + " 0 512", img.toString());
            Files.delete(boot);
            devices.append(disk(img, "qcow2", "hda", "ide"))
                    .append("<controller type='usb' model='none'/><memballoon model='none'/>");
        } else if (disks < 0) {
            run("qemu-img", "create", "-q", "-f", "qcow2", folder.resolve("system.qcow2").toString(), "16M");
            run("qemu-img", "create", "-q", "-f", "raw", folder.resolve("data.img").toString(), "8M");
            devices.append(disk(folder.resolve("system.qcow2"), "qcow2", "vda", "virtio"))
                    .append(disk(folder.resolve("data.img"), "raw", "vdb", "virtio"));
        } else {
            for (int i = 0; i < disks; i++) {
                Path img = folder.resolve("disk" + i + ".qcow2");
                run("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), Long.toString(size));
                devices.append(disk(img, "qcow2", "vd" + (char) ('a' + i), "virtio"));
            }
        }
        String xml = "<domain type='qemu'><name>" + name + "</name><memory unit='MiB'>" + memoryMiB
                + "</memory><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os><devices>" + devices
                + "</devices></domain>";
        Connect conn = null;
        try {
            conn = new Connect(uri, false);
            conn.domainDefineXML(xml).free();
        } catch (LibvirtException e) {
            throw new IOException("cannot define the lab domain " + name + " at " + uri + ": " + e.getMessage(), e);
        } finally {
            close(conn);
        }
        return new ThrowawayDomain(uri, name, folder, (long) memoryMiB << 20);
    }

    private static String disk(Path path, String format, String target, String bus) {
        return "<disk type='file' device='disk'><driver name='qemu' type='" + format + "'/><source file='" + path
                + "'/><target dev='" + target + "' bus='" + bus + "'/></disk>";
    }

    /** @return the domain's name */
    public String name() {
        return name;
    }

    /** @return the folder holding its images */
    public Path folder() {
        return folder;
    }

    /** @return the domain's memory size in bytes */
    public long memory() {
        return memory;
    }

    /** Starts the domain (it boots into SeaBIOS and waits there, or runs {@link RamFiller}'s guest). */
    public void start() {
        withDomain(d -> d.create());
    }

    /** Powers the domain off. */
    public void stop() {
        withDomain(d -> d.destroy());
    }

    /** Lets a paused domain run on. */
    public void resume() {
        withDomain(d -> d.resume());
    }

    /**
     * Sends a command to the running domain's QEMU human monitor, through libvirt (so remote URIs work too).
     *
     * @return QEMU's answer
     */
    public String monitor(String command) {
        String[] answer = new String[1];
        withDomain(d -> answer[0] = d.qemuMonitorCommand(command, 1)); // VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP
        return answer[0];
    }

    /**
     * For a domain made by {@link #withRamFiller}, running: makes its guest fill its RAM with {@code seed}'s
     * pattern and waits (at most two minutes) until it has. A guest that holds the pattern already is left alone.
     *
     * @param seed 0 to 255
     */
    public void fillRam(int seed) {
        if (seed < 0 || seed > 255) {
            throw new IllegalArgumentException("a seed is a byte: " + seed);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (int round = 0; !filled(seed); round++) {
            // Until the guest runs, the BIOS uses the CMOS index port too: the seed is set again every half second,
            // and only once the guest's code is in place.
            if (round % 10 == 0 && monitor("xp /4xb 0x7c00").contains(RamFiller.LOADED)) {
                monitor("o /b 0x70 0x40");
                monitor(String.format("o /b 0x71 0x%02x", seed));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the guest of " + name + " did not fill its RAM with seed " + seed
                        + ": " + monitor("xp /4xb " + RamFiller.MARK_FIRST));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** @return whether the last fill the guest finished was {@code seed}'s: its last word and its mark say so */
    private boolean filled(int seed) {
        long last = RamFiller.top(memory) - 4;
        return words(last, 1)[0] == RamFiller.word(last, seed)
                && bytes(RamFiller.MARK_FIRST) == seed && bytes(RamFiller.MARK_LAST) == seed;
    }

    /**
     * Checks the RAM of a running or paused domain made by {@link #withRamFiller} against {@code seed}'s pattern at
     * {@code samples} places spread evenly from 1 MiB to the top (16 words each, the first and the last word
     * always), and the mark the guest writes after a fill.
     *
     * @return the first place that differs ("address: found, expected"), or empty when all hold the pattern
     */
    public java.util.Optional<String> ramDiffers(int seed, int samples) {
        long top = RamFiller.top(memory);
        long step = Math.max(64, (top - RamFiller.FROM) / Math.max(1, samples - 1) & ~63L);
        java.util.List<Long> at = new java.util.ArrayList<>();
        for (long a = RamFiller.FROM; a < top - 64; a += step) {
            at.add(a);
        }
        at.add(top - 64);
        for (long a : at) {
            int[] found = words(a, 16);
            for (int i = 0; i < 16; i++) {
                long addr = a + 4L * i;
                if (found[i] != RamFiller.word(addr, seed)) {
                    return java.util.Optional.of(String.format("0x%x: 0x%08x, expected 0x%08x", addr, found[i],
                            RamFiller.word(addr, seed)));
                }
            }
        }
        if (bytes(RamFiller.MARK_FIRST) != seed || bytes(RamFiller.MARK_LAST) != seed) {
            return java.util.Optional.of(String.format("the mark at 0x%x: 0x%02x, expected 0x%02x",
                    RamFiller.MARK_FIRST, bytes(RamFiller.MARK_FIRST), seed));
        }
        return java.util.Optional.empty();
    }

    /** {@code count} 32-bit words from physical address {@code at}, through HMP {@code xp}. */
    private int[] words(long at, int count) {
        // e.g. "0000000000100000: 0x41514141 0x41514145 0x41514149 0x4151414d" (4 a line)
        int[] out = new int[count];
        int n = 0;
        for (String line : monitor("xp /" + count + "xw 0x" + Long.toHexString(at)).split("\n")) {
            String[] parts = line.trim().split(":", 2);
            if (parts.length == 2) {
                for (String w : parts[1].trim().split("\\s+")) {
                    if (w.startsWith("0x") && n < count) {
                        out[n++] = (int) Long.parseLong(w.substring(2), 16);
                    }
                }
            }
        }
        if (n != count) {
            throw new IllegalStateException("HMP xp gave " + n + " of " + count + " words at 0x"
                    + Long.toHexString(at));
        }
        return out;
    }

    private int bytes(long at) {
        String line = monitor("xp /1xb 0x" + Long.toHexString(at)).trim();
        return Integer.parseInt(line.substring(line.lastIndexOf("0x") + 2).trim(), 16);
    }

    @FunctionalInterface
    private interface DomainCall {
        void apply(Domain d) throws LibvirtException;
    }

    private void withDomain(DomainCall call) {
        Connect conn = null;
        Domain d = null;
        try {
            conn = new Connect(uri, false);
            d = conn.domainLookupByName(name);
            call.apply(d);
        } catch (LibvirtException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } finally {
            if (d != null) {
                try {
                    d.free();
                } catch (LibvirtException ignored) {
                    // nothing left to free
                }
            }
            close(conn);
        }
    }

    /** Powers the domain off if it runs, removes it with its snapshot metadata, and deletes its folder. */
    @Override
    public void close() {
        try {
            withDomain(d -> {
                if (d.isActive() == 1) {
                    d.destroy();
                }
                d.undefine(2); // VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
            });
        } catch (IllegalStateException e) {
            // already gone
        }
        try (Stream<Path> s = Files.walk(folder)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static void close(Connect conn) {
        if (conn != null) {
            try {
                conn.close();
            } catch (LibvirtException ignored) {
                // closing anyway
            }
        }
    }

    private static void run(String... command) throws IOException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
