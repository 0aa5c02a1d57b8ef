package dev.esm.libvirt.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.DomainSnapshots;
import dev.esm.api.DomainState;
import dev.esm.api.Settings;
import dev.esm.core.contract.Bed.DiskSpec;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A line of 100 snapshots, with the default depth limit: the domain starts, and starts again after a revert deep
 * into the line. On libvirt 11.3 with QEMU 10.0 a domain whose chain holds 26 images does not start at all
 * ({@code failed to parse JSON: nesting too deep}, libvirt's parser of QEMU's nested block-node answer, fixed in
 * 12.0); libvirt refuses any chain over 200.
 */
class DeepLineIT {
    private static final int LINE = 100;
    private LibvirtBed bed;

    @BeforeEach
    void open() {
        bed = new LibvirtBed();
    }

    @AfterEach
    void close() {
        bed.close();
    }

    @Test
    void aDomainWithALineOfAHundredSnapshotsStartsAndRevertsToAnyOfThem() {
        String dom = bed.newDomain(List.of(DiskSpec.qcow2("vda", "disk.qcow2")));
        DomainSnapshots d = bed.manager().domain(dom);
        d.setup(bed.folder(dom) + "/esm").execute();
        for (int i = 1; i <= LINE; i++) {
            if (i % 10 == 0) {
                bed.writeBlock(dom, "vda", i / 10, 0x20 + i / 10);
            }
            d.snapshot("s" + i).create();
        }
        assertTrue(d.chainLength() <= Settings.DEFAULT_MAX_CHAIN_DEPTH, "a chain of " + d.chainLength());
        bed.start(dom);
        assertEquals(DomainState.RUNNING, d.state());
        for (int b = 1; b <= LINE / 10; b++) {
            assertTrue(bed.readsBlock(dom, "vda", b, 0x20 + b), "block " + b + " of the running domain");
        }
        d.revert("s37").stopIfRunning().start().execute();
        assertEquals(DomainState.RUNNING, d.state());
        assertTrue(d.chainLength() <= Settings.DEFAULT_MAX_CHAIN_DEPTH, "after the revert: " + d.chainLength());
        for (int b = 1; b <= LINE / 10; b++) {
            assertTrue(bed.readsBlock(dom, "vda", b, b <= 3 ? 0x20 + b : 0), "block " + b + " after the revert");
        }
        d.snapshot("live").create(); // a live snapshot on the short chain
        assertTrue(d.verify().isEmpty(), d.verify().toString());
    }
}
