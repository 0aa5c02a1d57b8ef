package dev.esm.libvirt.testbed;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import dev.esm.libvirt.LibvirtHost;

/**
 * The RAM-pattern guest of the memory tests, shared by the local and the remote bed: a boot sector that, once
 * SeaBIOS runs it, keeps guest RAM filled with a byte the test sets through the RTC's CMOS (HMP {@code o}); HMP
 * {@code xp} reads the RAM back. Disk patterns written later over sector 0 do not stop the running guest (its
 * code is in RAM). HMP goes through libvirt, so this works over a remote connection as well.
 */
final class RamGuest {
    /**
     * 16-bit real mode, loaded at 0x7c00: forever, copy CMOS byte 0x40 into guest RAM 0x10000..0x17fff, then sleep
     * until the next timer tick.
     * <pre>
     *   sti; mov ax,0x1000; mov es,ax
     * l: mov al,0x40; out 0x70,al; in al,0x71; xor di,di; mov cx,0x8000; cld; rep stosb; hlt; jmp l
     * </pre>
     */
    private static final byte[] BOOT_CODE = {(byte) 0xFB, (byte) 0xB8, 0x00, 0x10, (byte) 0x8E, (byte) 0xC0,
        (byte) 0xB0, 0x40, (byte) 0xE6, 0x70, (byte) 0xE4, 0x71, 0x31, (byte) 0xFF, (byte) 0xB9, 0x00, (byte) 0x80,
        (byte) 0xFC, (byte) 0xF3, (byte) 0xAA, (byte) 0xF4, (byte) 0xEB, (byte) 0xEF};
    /** The RAM the guest fills: its first and last 16 bytes are checked. */
    private static final long RAM_FROM = 0x10000;
    private static final long RAM_LAST = 0x17ff0;

    private RamGuest() {
    }

    /** @return the 512-byte boot sector (with the 0x55 0xAA signature) to write at offset 0 of the first disk */
    static byte[] bootSector() {
        byte[] sector = new byte[512];
        System.arraycopy(BOOT_CODE, 0, sector, 0, BOOT_CODE.length);
        sector[510] = 0x55;
        sector[511] = (byte) 0xAA;
        return sector;
    }

    /** Sets the byte the running guest copies into its RAM, and waits (bounded) until it has. */
    static void write(LibvirtHost host, String domain, int pattern) {
        // Until the guest runs its loop, the BIOS uses the CMOS index port too: the byte is set again each round.
        // The guest copies it on its next timer tick: wait for that (bounded), as a user would watch for it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (int round = 0; !reads(host, domain, pattern); round++) {
            if (round % 10 == 0 && host.humanMonitorCommand(domain, "xp /2xb 0x7c00").contains("0xfb 0xb8")) {
                host.humanMonitorCommand(domain, "o /b 0x70 0x40");
                host.humanMonitorCommand(domain, String.format("o /b 0x71 0x%02x", pattern));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the guest of " + domain + " did not copy pattern " + pattern
                        + " into its RAM: " + host.humanMonitorCommand(domain, "xp /16xb " + RAM_FROM));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** @return whether the guest's RAM holds {@code pattern} at both ends of the range it fills */
    static boolean reads(LibvirtHost host, String domain, int pattern) {
        String want = String.format("0x%02x", pattern);
        for (long at : new long[] {RAM_FROM, RAM_LAST}) {
            // e.g. "0000000000010000: 0x41 0x41 ... (8 a line)"
            List<String> bytes = new ArrayList<>();
            for (String line : host.humanMonitorCommand(domain, "xp /16xb " + at).split("\n")) {
                String[] parts = line.trim().split(":", 2);
                if (parts.length == 2 && !parts[1].isBlank()) {
                    bytes.addAll(List.of(parts[1].trim().split("\\s+")));
                }
            }
            if (bytes.size() != 16 || !bytes.stream().allMatch(want::equals)) {
                return false;
            }
        }
        return true;
    }
}
