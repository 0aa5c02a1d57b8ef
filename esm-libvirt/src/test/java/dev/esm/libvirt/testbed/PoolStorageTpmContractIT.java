package dev.esm.libvirt.testbed;

import dev.esm.api.ImageAccess;
import dev.esm.core.contract.Bed;

/**
 * An emulated TPM's state with the files reached only through libvirt's storage API, as for a remote host, on the
 * local daemon: the state folder libvirt made for swtpm gets a storage pool of its own, and a state put back keeps
 * its owner and mode (and its length, which uploads alone would not) though this process never touches the file.
 */
class PoolStorageTpmContractIT extends LibvirtTpmContractIT {
    @Override
    protected Bed openBed() {
        return new LibvirtBed(ImageAccess.LIBVIRT_STORAGE);
    }
}
