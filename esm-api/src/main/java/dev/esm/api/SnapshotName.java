package dev.esm.api;

import dev.esm.api.errors.InvalidNameException;
import java.nio.charset.StandardCharsets;

/**
 * A valid snapshot name. The rules keep names safe in file names, logs and shells:
 * <ul>
 *   <li>1 to {@value #MAX_BYTES} bytes of UTF-8;</li>
 *   <li>letters, digits, {@code _}, {@code -}, {@code .} and {@code +} only (no white space, no {@code /},
 *       no glob or shell characters, no control characters);</li>
 *   <li>starts with a letter, a digit or {@code _} (not {@code .} or {@code -}); no {@code ..};</li>
 *   <li>not {@value DomainSnapshots#BASE}, which denotes the base images.</li>
 * </ul>
 *
 * @param value the name
 */
public record SnapshotName(String value) implements Comparable<SnapshotName> {

    /** The longest name, in UTF-8 bytes; with a disk's stem it keeps image file names under 255 bytes. */
    public static final int MAX_BYTES = 64;

    /**
     * @param value the name
     * @throws InvalidNameException if the name breaks a rule; the message says which
     */
    public SnapshotName {
        String problem = problem(value);
        if (problem != null) {
            throw new InvalidNameException(problem);
        }
    }

    /**
     * @param value a candidate name
     * @return the validated name
     * @throws InvalidNameException if it breaks a rule
     */
    public static SnapshotName of(String value) {
        return new SnapshotName(value);
    }

    /**
     * @param value a candidate name
     * @return why it is not a valid snapshot name, or null if it is
     */
    public static String problem(String value) {
        if (value == null || value.isEmpty()) {
            return "a snapshot name must not be empty";
        }
        String shown = printable(value);
        if (value.equals(DomainSnapshots.BASE)) {
            return "'base' is reserved for the base images; choose another snapshot name";
        }
        if (value.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return "snapshot name '" + shown + "' is longer than " + MAX_BYTES + " bytes; choose a shorter one";
        }
        int first = value.codePointAt(0);
        if (!(Character.isLetterOrDigit(first) || first == '_')) {
            return "snapshot name '" + shown + "' must start with a letter, a digit or '_'";
        }
        for (int i = 0; i < value.length(); ) {
            int cp = value.codePointAt(i);
            if (!(Character.isLetterOrDigit(cp) || cp == '_' || cp == '-' || cp == '.' || cp == '+')) {
                String c = Character.isWhitespace(cp) || Character.isISOControl(cp) ? String.format("\\u%04x", cp)
                        : new String(Character.toChars(cp));
                return "snapshot name '" + shown + "' contains '" + c + "'; use only letters, digits, '_', '-', '.' "
                        + "and '+'";
            }
            i += Character.charCount(cp);
        }
        if (value.contains("..")) {
            return "snapshot name '" + shown + "' must not contain '..'";
        }
        return null;
    }

    /**
     * How ESM shows any name or path it was given (a snapshot's, a domain's, a folder, a file) and any text from
     * elsewhere (libvirt's messages) in its messages: each control character, and each white space other than the
     * plain space, as <code>&#92;uXXXX</code>, so that a message stays one line and shows what the name really holds
     * (<code>x&#92;u000ay</code> for a name with a line feed). Names and paths without such characters come out as they are.
     *
     * @param s a name, a path or a message; may be null
     * @return {@code s} with its control characters escaped ({@code null} for null)
     */
    public static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean escape = Character.isISOControl(cp) || cp != ' ' && Character.isWhitespace(cp);
            if (escape && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (escape) {
                b.append(String.format("\\u%04x", cp));
            } else if (b != null) {
                b.appendCodePoint(cp);
            }
            i += Character.charCount(cp);
        }
        return b == null ? s : b.toString();
    }

    @Override
    public int compareTo(SnapshotName o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
