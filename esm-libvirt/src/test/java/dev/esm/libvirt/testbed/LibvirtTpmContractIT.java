package dev.esm.libvirt.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.esm.api.DomainState;
import dev.esm.api.StepKind;
import dev.esm.core.contract.Bed;
import dev.esm.core.contract.TpmContract;
import org.junit.jupiter.api.Test;

/**
 * An emulated TPM's state against the real libvirtd and swtpm (TPM 2.0, {@code tpm-tis}, state in libvirt's
 * {@code /var/lib/libvirt/swtpm/<uuid>/tpm2/}, owned by the user swtpm runs as): the state file checked byte for
 * byte, and swtpm made to read it (it refuses a damaged state, so a domain that starts after a revert runs on the
 * state put back).
 */
class LibvirtTpmContractIT extends TpmContract {

    @Override
    protected Bed openBed() {
        return new LibvirtBed();
    }

    /** @return {@code owner:group:mode} of a file (or folder) on the host, e.g. {@code tss:tss:600} */
    protected String ownerAndMode(String path) {
        return LibvirtBed.run(java.util.List.of("stat", "-c", "%U:%G:%a", path)).trim();
    }

    @Test
    void theStatePutBackKeepsSwtpmsOwnerAndModeAndSwtpmRunsOnIt() {
        String made = ownerAndMode(vars);
        String folder = vars.substring(0, vars.lastIndexOf('/'));
        String folderMade = ownerAndMode(folder);
        d.setup(bed.folder(dom) + "/esm").execute();
        bed.start(dom);
        String copy = copyIn(d.snapshot("s1").plan(), StepKind.SAVE_TPM_STATE);
        d.snapshot("s1").create();
        assertEquals(DomainState.RUNNING, d.state());
        assertEquals("600", ownerAndMode(copy).replaceAll(".*:", ""), "the copy is owner-only");
        String atSnapshot = bed.fileHash(copy);
        bed.stop(dom);
        assertEquals(atSnapshot, bed.fileHash(vars), "the copy holds the state of the snapshot's instant");

        writeState(D);
        bed.growFile(vars, D);
        assertThrows(RuntimeException.class, () -> bed.start(dom), "swtpm refuses a damaged state");
        d.revert("s1").execute();
        assertEquals(atSnapshot, bed.fileHash(vars));
        assertEquals(made, ownerAndMode(vars), "swtpm's user still owns its state, with its mode");
        assertEquals(folderMade, ownerAndMode(folder), "and its folder is as libvirt made it");
        bed.start(dom);
        assertEquals(DomainState.RUNNING, d.state(), "swtpm runs on the state put back");
        assertEquals(atSnapshot, bed.fileHash(copy), "the copy is only read");
    }
}
