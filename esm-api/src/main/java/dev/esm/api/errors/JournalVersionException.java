package dev.esm.api.errors;

/**
 * A domain has a recovery journal (an operation a stopped process left unfinished) in a format this version of ESM
 * cannot read, usually because a newer ESM wrote it. ESM neither guesses nor removes it: the domain cannot be
 * opened for changes until the journal is recovered. Nothing was changed. Recover it with the ESM version that
 * wrote it ({@code esm recover <domain>}, or opening the domain there), then use this version again.
 */
public class JournalVersionException extends EsmException {
    private static final long serialVersionUID = 1L;

    /** The format version found in the journal, or null when the journal names none. */
    private final String found;
    /** The format version this ESM reads and writes. */
    private final int supported;

    /**
     * @param message what was found where, and what to do
     * @param found the format version found in the journal, or null when it names none
     * @param supported the format version this ESM reads and writes
     */
    public JournalVersionException(String message, String found, int supported) {
        super(message);
        this.found = found;
        this.supported = supported;
    }

    /** @return the format version found in the journal, or null when it names none */
    public String found() {
        return found;
    }

    /** @return the format version this ESM reads and writes */
    public int supported() {
        return supported;
    }
}
