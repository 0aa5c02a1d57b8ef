package dev.esm.libvirt;

import dev.esm.libvirt.testbed.AbstractLibvirtBed;
import dev.esm.libvirt.testbed.RemoteBed;

/**
 * {@link TreeIndexChecks} over {@code qemu+ssh}: the index is a volume of the host's state pool, checked against the
 * names and the current snapshot (there is no metadata directory to read from here).
 */
class TreeIndexRemoteIT extends TreeIndexChecks {
    @Override
    AbstractLibvirtBed newBed() {
        return new RemoteBed();
    }

    @Override
    String uri(AbstractLibvirtBed bed) {
        return ((RemoteBed) bed).uriOfBed();
    }
}
