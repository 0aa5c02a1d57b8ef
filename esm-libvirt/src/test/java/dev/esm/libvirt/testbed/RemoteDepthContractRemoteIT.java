package dev.esm.libvirt.testbed;

import dev.esm.core.contract.Bed;
import dev.esm.core.contract.DepthContract;

/** The depth limit as a remote client sees it, over {@code qemu+ssh://}, the images invisible to this process. */
class RemoteDepthContractRemoteIT extends DepthContract {
    @Override
    protected Bed openBed() {
        return new RemoteBed();
    }
}
