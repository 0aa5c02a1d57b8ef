package dev.esm.core.engine;

import dev.esm.core.model.Names;
import dev.esm.core.plan.DomainView;
import dev.esm.core.port.ByteSink;
import dev.esm.core.port.Storage;
import java.util.UUID;

/**
 * Finds out whether another host sees this host's files at the same paths (shared storage): a probe file made in
 * the domain's ESM folder here, looked for there, then removed. Stateless.
 */
final class SharedStorage {
    private SharedStorage() {
    }

    /** @return whether {@code there} sees a file made in the domain's folder through {@code here} */
    static boolean seen(Storage here, Storage there, DomainView view) {
        String dir = view.persistent().record().flatMap(r -> r.disksDir()).orElse(null);
        if (dir == null) {
            return false;
        }
        String probe = Names.join(dir, ".esm-probe-" + UUID.randomUUID());
        byte[] mark = probe.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            try (ByteSink out = here.writeBytes(probe, mark.length)) {
                out.write(mark, mark.length);
                out.finish();
            }
            return there.exists(probe);
        } finally {
            here.remove(probe);
        }
    }
}
