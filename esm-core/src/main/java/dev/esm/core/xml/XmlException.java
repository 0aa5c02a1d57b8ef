package dev.esm.core.xml;

import dev.esm.api.errors.EsmException;

/** libvirt handed ESM an XML document it cannot read. A bug or an unsupported libvirt version: report it. */
public class XmlException extends EsmException {
    private static final long serialVersionUID = 1L;

    public XmlException(String message, Throwable cause) {
        super(message, cause);
    }

    public XmlException(String message) {
        super(message);
    }
}
