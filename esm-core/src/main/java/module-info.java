/**
 * ESM's engine behind a port, for ESM's own modules only: the packages are exported to them alone, so an
 * application on the module path sees {@code dev.esm.api} and nothing of this module. No compatibility promise
 * between versions. See {@code docs/architecture.md}.
 */
module dev.esm.core {
    requires transitive dev.esm.api;
    requires transitive java.xml;
    requires org.slf4j;

    exports dev.esm.core.engine to dev.esm.libvirt, dev.esm.test;
    exports dev.esm.core.model to dev.esm.libvirt, dev.esm.test, dev.esm.core.contract, dev.esm.bench;
    exports dev.esm.core.plan to dev.esm.libvirt, dev.esm.test, dev.esm.core.contract, dev.esm.bench;
    exports dev.esm.core.port to dev.esm.libvirt, dev.esm.test, dev.esm.core.contract, dev.esm.bench;
    exports dev.esm.core.xml to dev.esm.libvirt, dev.esm.test, dev.esm.core.contract, dev.esm.bench;
}
