package dev.esm.libvirt.internal.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import dev.esm.libvirt.internal.local.QemuImg;

/** What a failed qemu-img said, as ESM's message shows it: one line, never an empty cause. */
class ProgramOutputTest {
    @Test
    void linesAreJoinedAndSilenceIsReportedWithTheExitStatus() {
        assertEquals("qemu-img: Could not open 'a': No such file or directory; qemu-img: second line",
                QemuImg.said("qemu-img: Could not open 'a': No such file or directory\n\nqemu-img: second line\n",
                        1));
        assertEquals("it printed nothing and ended with status 1", QemuImg.said(" \n", 1));
        assertEquals("it printed nothing and ended with status 137 (signal 9)", QemuImg.said("", 137));
    }
}
