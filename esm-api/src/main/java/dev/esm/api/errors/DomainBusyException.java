package dev.esm.api.errors;

/**
 * Another operation on the same domain is in progress (in this process). ESM runs one changing
 * operation per domain at a time. Nothing was changed; retry when the other operation has finished.
 */
public class DomainBusyException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong and what to do about it */
    public DomainBusyException(String message) {
        super(message);
    }
}
