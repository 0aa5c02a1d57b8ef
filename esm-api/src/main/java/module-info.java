/**
 * ESM's public API: {@link dev.esm.api.SnapshotManager} and the values and commands it hands out
 * ({@code dev.esm.api}), the typed errors ({@code dev.esm.api.errors}) and the service provider interface an
 * implementation registers through ({@code dev.esm.api.spi}). Everything an application needs; no libvirt type.
 */
module dev.esm.api {
    exports dev.esm.api;
    exports dev.esm.api.errors;
    exports dev.esm.api.spi;

    uses dev.esm.api.spi.SnapshotManagerProvider;
}
