package dev.esm.api.errors;

import java.util.Objects;

/**
 * libvirt (or QEMU behind it) refused or failed a call. libvirt's own error code, its symbolic name and its
 * message are kept, so callers and logs can tell e.g. {@code VIR_ERR_OPERATION_INVALID} apart from
 * {@code VIR_ERR_SYSTEM_ERROR}.
 */
public class HypervisorException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** libvirt's numeric error code, or -1. */
    private final int code;
    /** libvirt's symbolic name for the code. */
    private final String codeName;
    /** libvirt's message, verbatim. */
    private final String hypervisorMessage;

    /**
     * The message is {@code message (libvirt CODE_NAME: libvirt's message)}, on one line (as every
     * {@link EsmException}'s): line breaks in libvirt's message (in the output of a program it ran) are shown
     * escaped; {@link #hypervisorMessage()} keeps them.
     *
     * @param message what ESM was doing and what to do next
     * @param code libvirt's numeric error code ({@code virErrorNumber}), or -1 when unknown
     * @param codeName libvirt's symbolic name for the code, e.g. {@code VIR_ERR_OPERATION_INVALID}
     * @param hypervisorMessage libvirt's message, verbatim
     * @param cause the original exception, may be null
     */
    public HypervisorException(String message, int code, String codeName, String hypervisorMessage, Throwable cause) {
        this(code, codeName, hypervisorMessage, message + " (libvirt " + codeName + ": " + hypervisorMessage + ")",
                cause);
    }

    /**
     * For a caller that shows libvirt's message in its own words (for instance reduced to what the ssh output inside
     * it means): the message is {@code message} as given; libvirt's code and its message, verbatim, are kept all the
     * same.
     *
     * @param code libvirt's numeric error code ({@code virErrorNumber}), or -1 when unknown
     * @param codeName libvirt's symbolic name for the code, e.g. {@code VIR_ERR_SYSTEM_ERROR}
     * @param hypervisorMessage libvirt's message, verbatim
     * @param message the whole message, one line: what failed, why, and what to do next
     * @param cause the original exception, may be null
     */
    public HypervisorException(int code, String codeName, String hypervisorMessage, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.codeName = Objects.requireNonNullElse(codeName, "UNKNOWN");
        this.hypervisorMessage = Objects.requireNonNullElse(hypervisorMessage, "");
    }

    /** @return libvirt's numeric error code, or -1 when unknown */
    public int code() {
        return code;
    }

    /** @return libvirt's symbolic error name, e.g. {@code VIR_ERR_NO_DOMAIN} */
    public String codeName() {
        return codeName;
    }

    /** @return libvirt's message, verbatim */
    public String hypervisorMessage() {
        return hypervisorMessage;
    }
}
