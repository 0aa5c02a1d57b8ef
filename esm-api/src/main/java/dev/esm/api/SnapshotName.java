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
                return "snapshot name '" + shown + "' contains '" + printable(new String(Character.toChars(cp)))
                        + "'; use only letters, digits, '_', '-', '.' and '+'";
            }
            i += Character.charCount(cp);
        }
        if (value.contains("..")) {
            return "snapshot name '" + shown + "' must not contain '..'";
        }
        return null;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (Character.isISOControl(cp) || Character.isWhitespace(cp)) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
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
