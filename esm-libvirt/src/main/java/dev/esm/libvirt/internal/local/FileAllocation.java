package dev.esm.libvirt.internal.local;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bytes a file takes on its file system ({@code st_blocks * 512}, what {@code qemu-img info} reports as
 * {@code actual-size}), read with one {@code stat(2)} call through JNA instead of a process. Only where the layout of
 * {@code struct stat} is known (Linux on x86-64 and AArch64, glibc 2.33 or later, which exports {@code stat}); the
 * answer is trusted only when the size read next to it equals Java's: anywhere else it is empty and the caller asks
 * {@code qemu-img}.
 *
 * <p>Thread-safety: stateless after class initialisation; thread-safe.
 */
public final class FileAllocation {
    private static final Logger LOG = LoggerFactory.getLogger(FileAllocation.class);
    /** Both architectures' generic layout: st_size at 48, st_blocks at 64, 144 (x86-64) or 128 bytes in all. */
    private static final int SIZE_AT = 48;
    private static final int BLOCKS_AT = 64;
    private static final int STRUCT = 256;

    public interface LibC extends Library {
        int stat(String path, Memory buf);
    }

    private static final LibC LIBC = load();

    private FileAllocation() {
    }

    private static LibC load() {
        String arch = System.getProperty("os.arch", "");
        if (!System.getProperty("os.name", "").equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64")
                || arch.equals("aarch64"))) {
            return null;
        }
        try {
            LibC c = Native.load("c", LibC.class);
            try (Memory m = new Memory(STRUCT)) {
                c.stat("/", m); // glibc before 2.33 has no 'stat' symbol: fails here, once
            }
            return c;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.debug("no stat(2) through JNA ({}); allocated sizes come from qemu-img", e.toString());
            return null;
        }
    }

    /** @return the bytes allocated to the file, or empty when they cannot be read here */
    public static OptionalLong bytes(Path file) {
        if (LIBC == null) {
            return OptionalLong.empty();
        }
        try (Memory m = new Memory(STRUCT)) {
            m.clear();
            if (LIBC.stat(file.toString(), m) != 0) {
                return OptionalLong.empty();
            }
            long size = m.getLong(SIZE_AT);
            long blocks = m.getLong(BLOCKS_AT);
            if (size != Files.size(file) || blocks < 0) {
                return OptionalLong.empty(); // not the layout expected (or the file changed in between)
            }
            return OptionalLong.of(blocks * 512);
        } catch (java.io.IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }
}
