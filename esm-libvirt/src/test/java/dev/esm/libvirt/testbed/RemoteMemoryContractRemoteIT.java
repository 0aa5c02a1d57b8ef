package dev.esm.libvirt.testbed;

import dev.esm.core.contract.Bed;
import dev.esm.core.contract.MemoryContract;

/**
 * Memory snapshots and reverts to a running or paused domain as a remote client sees them: over
 * {@code qemu+ssh://}, the images and memory files invisible to this process, the guest's RAM read through HMP
 * over the same connection and the disks' data patterns on the host through ssh.
 */
class RemoteMemoryContractRemoteIT extends MemoryContract {
    @Override
    protected Bed openBed() {
        return new RemoteBed();
    }
}
