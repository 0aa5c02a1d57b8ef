package dev.esm.libvirt.testbed;

import dev.esm.core.contract.Bed;
import dev.esm.core.contract.MergeContract;

/**
 * The whole snapshot and merge contract as a remote client sees it: over {@code qemu+ssh://}, with the images
 * invisible to this process (the remote ITs' private mount namespace), data patterns written and read on the
 * host through ssh.
 */
class RemoteContractRemoteIT extends MergeContract {
    @Override
    protected Bed openBed() {
        return new RemoteBed();
    }
}
