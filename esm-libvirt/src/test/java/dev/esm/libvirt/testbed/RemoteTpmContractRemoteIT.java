package dev.esm.libvirt.testbed;

import dev.esm.core.contract.Bed;

/**
 * An emulated TPM's state as a remote client sees it: over {@code qemu+ssh://}, with the images and libvirt's TPM
 * state folder ({@code /var/lib/libvirt/swtpm}) hidden from the client, so the state is copied and put back through
 * libvirt's storage API only; the files are checked on the host through ssh.
 */
class RemoteTpmContractRemoteIT extends LibvirtTpmContractIT {
    @Override
    protected Bed openBed() {
        return new RemoteBed();
    }

    @Override
    protected String ownerAndMode(String path) {
        return ((RemoteBed) bed).shell().run("stat", "-c", "%U:%G:%a", path).trim();
    }
}
