package dev.esm.libvirt.testbed;

import dev.esm.core.contract.Bed;
import dev.esm.core.contract.DepthContract;

/** The depth limit against the real libvirtd: offline pulls with {@code qemu-img rebase}, live ones as block pulls. */
class LibvirtDepthContractIT extends DepthContract {
    @Override
    protected Bed openBed() {
        return new LibvirtBed();
    }
}
