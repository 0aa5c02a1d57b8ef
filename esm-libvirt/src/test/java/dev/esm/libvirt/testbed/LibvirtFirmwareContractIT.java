package dev.esm.libvirt.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.esm.api.DomainState;
import dev.esm.api.StepKind;
import dev.esm.core.contract.Bed;
import dev.esm.core.contract.FirmwareContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/**
 * Firmware state against the real libvirtd with a real OVMF (Debian's {@code ovmf}, q35, TCG): the domain boots its
 * UEFI firmware while snapshots are taken, and its variables file is checked byte for byte.
 */
class LibvirtFirmwareContractIT extends FirmwareContract {

    @Override
    protected Bed openBed() {
        return new LibvirtBed();
    }

    @Test
    void aCopyIsOwnerOnlyAndTheFirmwareRunsOnAfterARevert() throws Exception {
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.start(dom);
        String copy = copyIn(d.snapshot("s1").plan(), StepKind.SAVE_FIRMWARE);
        d.snapshot("s1").create();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(copy))));
        assertEquals(Files.size(Path.of(vars)), Files.size(Path.of(copy)));
        String atSnapshot = bed.fileHash(copy);
        d.revert("s1").stopIfRunning().start().execute();
        assertEquals(DomainState.RUNNING, d.state(), "OVMF starts on the restored variables");
        Thread.sleep(2000); // the firmware runs and may write its variables: into the domain's file, never the copy
        assertEquals(atSnapshot, bed.fileHash(copy));
    }
}
