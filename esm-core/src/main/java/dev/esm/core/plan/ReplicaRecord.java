package dev.esm.core.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a host holds of a domain replicated or moved to it: each frozen file copied there, with what it belongs to,
 * its size and the CRC32C of its bytes. Kept in the target's state store, next to the domain's journal; a file the
 * record names with the same owner and size is not copied again (a frozen file never changes).
 *
 * @param files by the path on the target
 */
public record ReplicaRecord(Map<String, Entry> files) {
    private static final String HEADER = "esm-replica 1";

    public ReplicaRecord {
        files = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    /** @return a record of nothing */
    public static ReplicaRecord empty() {
        return new ReplicaRecord(Map.of());
    }

    /**
     * @param frozen what the file belongs to ({@link TransferFile#frozen()})
     * @param size its length
     * @param crc the CRC32C of its bytes
     */
    public record Entry(String frozen, long size, long crc) {
        public Entry {
            Objects.requireNonNull(frozen, "frozen");
        }
    }

    /** @return the entry of the file at {@code path} on the target, if copied before */
    public Optional<Entry> entry(String path) {
        return Optional.ofNullable(files.get(path));
    }

    /** @return this record with {@code path} (re)recorded */
    public ReplicaRecord with(String path, Entry entry) {
        Map<String, Entry> m = new LinkedHashMap<>(files);
        m.put(path, entry);
        return new ReplicaRecord(m);
    }

    /** @return this record without {@code path} */
    public ReplicaRecord without(String path) {
        Map<String, Entry> m = new LinkedHashMap<>(files);
        m.remove(path);
        return new ReplicaRecord(m);
    }

    /** @return the record as text: a header line, then one tab-separated line per file */
    public String write() {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        files.forEach((path, e) -> b.append(path).append('\t').append(e.frozen()).append('\t').append(e.size())
                .append('\t').append(Long.toHexString(e.crc())).append('\n'));
        return b.toString();
    }

    /**
     * @param text what {@link #write()} gave
     * @return the record; an unreadable one is read as empty (everything is then copied again)
     */
    public static ReplicaRecord read(String text) {
        String[] lines = text.split("\n");
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            return empty();
        }
        Map<String, Entry> m = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split("\t");
            if (f.length != 4) {
                return empty();
            }
            try {
                m.put(f[0], new Entry(f[1], Long.parseLong(f[2]), Long.parseUnsignedLong(f[3], 16)));
            } catch (NumberFormatException e) {
                return empty();
            }
        }
        return new ReplicaRecord(m);
    }

    /** @return the paths recorded */
    public List<String> paths() {
        return new ArrayList<>(files.keySet());
    }
}
