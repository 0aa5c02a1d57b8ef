package dev.esm.core.fake;

import dev.esm.api.errors.HypervisorException;

/**
 * The errors the fake gives as libvirt would.
 *
 * <p>Thread-safety: thread-safe (no state).
 */
final class FakeErrors {
    private FakeErrors() {
    }

    /** @return libvirt's {@code VIR_ERR_OPERATION_INVALID} with this message */
    static HypervisorException invalid(String message) {
        return new HypervisorException(message, 55, "VIR_ERR_OPERATION_INVALID", message, null);
    }
}
