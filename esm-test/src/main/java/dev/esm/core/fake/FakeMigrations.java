package dev.esm.core.fake;

import dev.esm.core.port.Migration;
import dev.esm.core.xml.DomainXml;
import dev.esm.core.xml.XmlPaths;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Live migrations between fake hosts, as libvirt's with an incremental storage copy: each named disk's active layer's
 * blocks onto the overlay already made there, the RAM, the definition (paths rewritten) there; the domain gone here.
 * Refused, as by libvirt, for a domain with snapshot metadata. Stateless; each host's own lock guards its part.
 */
final class FakeMigrations {
    private FakeMigrations() {
    }

    /** A fake host as a migration's target. */
    record Target(FakeHost host) implements Migration.Target {
        @Override
        public String uri() {
            return host.uri();
        }
    }

    /** What leaves with a migrated domain. */
    record Leaving(String persistent, String live, int ram) {
    }

    static void migrate(FakeHost from, String domain, Migration m) {
        if (!(m.to() instanceof Target to)) {
            throw new IllegalArgumentException("a fake host migrates only to another fake host");
        }
        Leaving leaving = from.leaving(domain);
        Map<String, String> actives = new LinkedHashMap<>();
        for (var disk : DomainXml.parse(leaving.live()).eligibleDisks()) {
            if (m.disks().contains(disk.target())) {
                disk.image().ifPresent(i -> actives.put(i.path(), m.moved().getOrDefault(i.path(), i.path())));
            }
        }
        actives.forEach((path, there) -> to.host().storage().copyBlocksOnto(from.storage(), path, there));
        to.host().arrive(XmlPaths.relocate(leaving.persistent(), m.moved()), leaving.ram(), m.paused());
        from.left(domain);
    }
}
