package dev.esm.libvirt;

import dev.esm.libvirt.testbed.AbstractLibvirtBed;
import dev.esm.libvirt.testbed.LibvirtBed;
import org.libvirt.Connect;

/** {@link TreeIndexChecks} on the local daemon, where the index is checked against libvirt's metadata directory too. */
class TreeIndexIT extends TreeIndexChecks {
    @Override
    AbstractLibvirtBed newBed() {
        return new LibvirtBed();
    }

    @Override
    String uri(AbstractLibvirtBed bed) {
        return LibvirtBed.URI;
    }

    @Override
    void whenMarkersAreKept(AbstractLibvirtBed bed, Connect raw, String dom) throws Exception {
        redefineNonCurrent("s2", "s2 changed behind ESM");
        redefineNonCurrent("s5", "s5 changed behind ESM");
    }
}
