package dev.esm.libvirt.testbed;

import dev.esm.api.ImageAccess;
import dev.esm.core.contract.Bed;
import dev.esm.core.contract.MemoryContract;

/**
 * Memory snapshots with images (and memory files) reached only through libvirt's storage API, as for a remote
 * host, on the local daemon: libvirtd writes the memory file itself, behind the storage pools' back.
 */
class PoolStorageMemoryContractIT extends MemoryContract {
    @Override
    protected Bed openBed() {
        return new LibvirtBed(ImageAccess.LIBVIRT_STORAGE);
    }
}
