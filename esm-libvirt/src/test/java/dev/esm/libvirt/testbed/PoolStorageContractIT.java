package dev.esm.libvirt.testbed;

import dev.esm.api.ImageAccess;
import dev.esm.core.contract.Bed;
import dev.esm.core.contract.MergeContract;

/**
 * The snapshot and merge contract with images reached only through libvirt's storage API (as for a remote
 * host), on the local daemon: the bed checks the files directly, so a wrong volume operation shows up at once.
 */
class PoolStorageContractIT extends MergeContract {
    @Override
    protected Bed openBed() {
        return new LibvirtBed(ImageAccess.LIBVIRT_STORAGE);
    }
}
