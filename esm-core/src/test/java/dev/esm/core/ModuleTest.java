package dev.esm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** esm-core is internal to ESM: as a named module it exports nothing to an application, only to ESM's own modules. */
class ModuleTest {
    private static final Set<String> ESM_MODULES =
            Set.of("dev.esm.libvirt", "dev.esm.test", "dev.esm.core.contract", "dev.esm.bench");

    @Test
    void everyPackageIsExportedOnlyToEsmsOwnModules() {
        ModuleDescriptor d = dev.esm.core.port.Host.class.getModule().getDescriptor();
        assertTrue(d != null && d.name().equals("dev.esm.core"), "the tests run on the module path, in dev.esm.core");
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : d.exports()) {
            assertTrue(e.isQualified(), e.source() + " is exported to every module");
            assertTrue(ESM_MODULES.containsAll(e.targets()), e.source() + " is exported to " + e.targets());
            exported.add(e.source());
        }
        assertEquals(Set.of("dev.esm.core.engine", "dev.esm.core.model", "dev.esm.core.plan", "dev.esm.core.port",
                "dev.esm.core.xml"), exported);
        assertTrue(!dev.esm.core.port.Host.class.getModule().isExported("dev.esm.core.engine"));
    }
}
