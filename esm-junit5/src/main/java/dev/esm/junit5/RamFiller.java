package dev.esm.junit5;

import java.util.HexFormat;

/**
 * The guest of a lab domain whose RAM is really used ({@link ThrowawayDomain#withRamFiller}): a boot sector that,
 * once SeaBIOS runs it, fills every byte of RAM from 1 MiB up to the domain's memory size with a pattern, then
 * sleeps until the next timer tick and looks again. QEMU leaves zero pages out of a memory file, so only a guest like
 * this makes a memory snapshot as large as its RAM (a guest that sits in the BIOS leaves a few MiB).
 *
 * <p>The pattern: the 32-bit word at physical address {@code a} (a multiple of 4) holds {@code a ^ seed * 0x01010101}
 * ({@link #word}), so every page differs from every other and from zero. The seed is CMOS byte 0x40 (0 at power-on;
 * HMP {@code o /b 0x70 0x40}, {@code o /b 0x71 SEED} changes it): when it changes, the guest fills its RAM again,
 * upwards, then writes the seed into every byte of 0x10000..0x17fff (so that the last word below the top and that area
 * say that a fill has finished). The guest does not use the BIOS once it runs: it installs its own timer interrupt
 * handler, masks every other interrupt and overwrites whatever SeaBIOS left above 1 MiB.
 *
 * <pre>
 *   16-bit real mode at 0x7c00. Setup: cli; ds = ss = 0, sp = 0x7c00; IVT[8] = isr; PIC masks 0xfe / 0xff (timer
 *   only); A20 on (port 0x92); unreal mode: lgdt, CR0.PE = 1, fs = 8 (base 0, limit 4 GiB), CR0.PE = 0 (fs keeps its
 *   limit); ecx = 16 MiB + (CMOS 0x35:0x34) * 64 KiB, the top of RAM below 4 GiB; sti.
 *   main:  al = CMOS[0x40]; ah = 0; if ax == last: goto idle; last = ax
 *          ebx = al * 0x01010101; for edi = 1 MiB; edi &lt; ecx; edi += 4: fs:[edi] = edi ^ ebx   (a32)
 *          es = 0x1000; memset(es:0, al, 0x8000)
 *   idle:  hlt; jmp main
 *   isr:   push ax; out 0x20, 0x20 (EOI); pop ax; iret
 *   gdt:   null, {limit 0xfffff, base 0, 0x92 (data, writable), 0xcf (4 KiB units, 32-bit)}; gdtr: 15, gdt
 *   last:  dw 0xffff (so the first pass fills with seed 0)
 * </pre>
 * Assembled with GNU as ({@code .code16}, linked at 0x7c00); filling 256 MiB takes about 0.4 s under TCG.
 */
public final class RamFiller {
    private static final byte[] CODE = HexFormat.of().parseHex(
            "fa31c08ed88ed0bc007cfcc7062000a67ca32200b0fee621b0ffe6a1e4920c0224fee692660f0116c07c0f20c00c010f"
            + "22c0bb08008ee324fe0f22c0b035e670e47188c4b034e670e471660fb7c866c1e1106681c100000001fbb040e670e471"
            + "30e43b06c67c743ba3c67c660fb6d86669db0101010166bf000010006689f86631d864676689076683c7046639cf72ec"
            + "b800108ec031ffa0c67c6651b90080f3aa6659f4ebb450b020e62058cf8d74000000000000000000ffff00000092cf00"
            + "0f00b07c0000ffff");
    /** The first bytes of the code, as HMP {@code xp /4xb 0x7c00} shows them once the BIOS has loaded it. */
    static final String LOADED = "0xfa 0x31 0xc0 0x8e";
    /** Where the pattern starts. */
    public static final long FROM = 1L << 20;
    /** The low area the seed is written into after each fill (first and last byte). */
    static final long MARK_FIRST = 0x10000;
    static final long MARK_LAST = 0x17fff;

    private RamFiller() {
    }

    /** @return the 512-byte boot sector (with the 0x55 0xAA signature), to be written at offset 0 of the boot disk */
    public static byte[] bootSector() {
        byte[] sector = new byte[512];
        System.arraycopy(CODE, 0, sector, 0, CODE.length);
        sector[510] = 0x55;
        sector[511] = (byte) 0xAA;
        return sector;
    }

    /**
     * @param address a physical address at least {@link #FROM}, a multiple of 4, below the top
     * @param seed 0 to 255
     * @return the 32-bit word the guest keeps there once it has filled its RAM with {@code seed}
     */
    public static int word(long address, int seed) {
        return (int) address ^ seed * 0x01010101;
    }

    /**
     * @param memoryBytes the domain's memory size, more than 16 MiB and less than 3584 MiB (from there on QEMU's
     *     {@code pc} machine puts RAM above 4 GiB too, which the guest, working below 4 GiB, does not fill)
     * @return the address above the last word the guest fills (the CMOS counts 64 KiB units above 16 MiB)
     */
    public static long top(long memoryBytes) {
        return (16L << 20) + Math.min(0xffff, (memoryBytes - (16L << 20)) / 65536) * 65536;
    }
}
