package dev.esm.libvirt.testbed;

import dev.esm.api.ImageAccess;
import dev.esm.core.contract.Bed;
import dev.esm.core.contract.DepthContract;

/** The depth limit with images reached only through libvirt's storage API: offline pulls in a helper domain. */
class PoolStorageDepthContractIT extends DepthContract {
    @Override
    protected Bed openBed() {
        return new LibvirtBed(ImageAccess.LIBVIRT_STORAGE);
    }
}
