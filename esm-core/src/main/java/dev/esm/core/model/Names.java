package dev.esm.core.model;

import dev.esm.api.DiskImage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * File-name rules. Paths are host paths handled as strings with {@code /} separators (the host may be remote),
 * never split on white space, never cut at an arbitrary dot. Stateless; thread-safe.
 *
 * <ul>
 *   <li>a disk's <em>stem</em> is its base image's file name without a known image extension
 *       ({@code .qcow2 .qcow .img .raw .base}); two disks with one stem get {@code -<target>} appended;</li>
 *   <li>a base image is {@code <stem>.base};</li>
 *   <li>an overlay is {@code <stem>.after-<label>.<time>.qcow2}: it holds the disk's changes made after
 *       {@code <label>} (a snapshot, or {@code base}), starting at {@code <time>} (UTC, {@code yyyyMMdd-HHmmss});
 *       it keeps that name when a later snapshot freezes it. Time only moves on, so a name is never reused; when
 *       a name is taken anyway, {@code -2}, {@code -3}, ... is added.</li>
 *   <li>a memory snapshot's memory file is {@code <snapshot>.<time>.memory}, beside the frozen images.</li>
 * </ul>
 */
public final class Names {
    /** The longest file name the common Linux file systems take, in bytes. */
    public static final int MAX_FILE_NAME_BYTES = 255;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private static final List<String> IMAGE_EXTENSIONS = List.of(".qcow2", ".qcow", ".img", ".raw", ".base");

    private Names() {
    }

    /** @return the last path element */
    public static String fileName(String path) {
        String p = stripTrailingSlash(path);
        int i = p.lastIndexOf('/');
        return i < 0 ? p : p.substring(i + 1);
    }

    /** @return the folder part of a path ({@code /} for a file in the root) */
    public static String directory(String path) {
        String p = stripTrailingSlash(path);
        int i = p.lastIndexOf('/');
        return i <= 0 ? "/" : p.substring(0, i);
    }

    /** @return {@code dir/name} */
    public static String join(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    /** @return the path without trailing slashes (but {@code /} stays {@code /}) */
    public static String stripTrailingSlash(String path) {
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    /**
     * @param fileName an image's file name
     * @return the name without one known image extension (and a {@code .base} before it)
     */
    public static String stem(String fileName) {
        String s = fileName;
        for (int round = 0; round < 2; round++) {
            String lower = s.toLowerCase(Locale.ROOT);
            for (String ext : IMAGE_EXTENSIONS) {
                if (lower.endsWith(ext) && lower.length() > ext.length()) {
                    s = s.substring(0, s.length() - ext.length());
                    break;
                }
            }
        }
        int after = s.indexOf(".after-");
        if (after > 0) {
            s = s.substring(0, after);
        }
        return s;
    }

    /**
     * @param images one image per disk (the base, or the active image before any snapshot)
     * @return a distinct stem per disk target, in the given order
     */
    public static Map<String, String> stems(List<DiskImage> images) {
        Map<String, String> out = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();
        for (DiskImage img : images) {
            String stem = stem(fileName(img.path()));
            if (stem.isEmpty() || stem.startsWith(".")) {
                stem = img.target() + stem;
            }
            if (!used.add(stem)) {
                stem = stem + "-" + img.target();
                for (int n = 2; !used.add(stem); n++) {
                    stem = stem + n;
                }
            }
            out.put(img.target(), truncate(stem, 160));
        }
        return out;
    }

    /** @return {@code dir/<stem>.base} */
    public static String basePath(String dir, String stem) {
        return join(dir, stem + ".base");
    }

    /**
     * @param dir the folder
     * @param stem the disk's stem
     * @param label what the overlay sits on (a snapshot name or {@code base})
     * @param when when the overlay is made
     * @param taken which paths are in use (existing files, or names planned already)
     * @return a free overlay path
     */
    public static String overlayPath(String dir, String stem, String label, Instant when, Predicate<String> taken) {
        String prefix = stem + ".after-" + label + "." + STAMP.format(when);
        String first = join(dir, prefix + ".qcow2");
        if (!taken.test(first)) {
            return first;
        }
        for (int n = 2; ; n++) {
            String p = join(dir, prefix + "-" + n + ".qcow2");
            if (!taken.test(p)) {
                return p;
            }
        }
    }

    /**
     * @param dir the folder the snapshot's frozen images are in (ESM's folder after setup)
     * @param snapshot the snapshot's name, or {@code base}
     * @return where the snapshot's copy of the firmware variables is kept: {@code <snapshot>.nvram}; one name per
     *         snapshot, so a revert finds it without a record (snapshot names are unique; a delete removes it)
     */
    public static String firmwarePath(String dir, String snapshot) {
        return join(dir, snapshot + ".nvram");
    }

    /**
     * @param dir the folder the snapshot's frozen images are in (ESM's folder after setup)
     * @param snapshot the snapshot's name, or {@code base}
     * @return where the snapshot's copy of its emulated TPM's state is kept: {@code <snapshot>.tpm}; one name per
     *         snapshot, as {@link #firmwarePath}
     */
    public static String tpmStatePath(String dir, String snapshot) {
        return join(dir, snapshot + ".tpm");
    }

    /**
     * @param dir the folder (the one the snapshot's frozen images are in)
     * @param snapshot the memory snapshot's name
     * @param when when the snapshot is taken
     * @param taken which paths are in use (existing files, or names planned already)
     * @return a free path for the snapshot's memory file: {@code <snapshot>.<time>.memory}
     */
    public static String memoryPath(String dir, String snapshot, Instant when, Predicate<String> taken) {
        String prefix = snapshot + "." + STAMP.format(when);
        String first = join(dir, prefix + ".memory");
        if (!taken.test(first)) {
            return first;
        }
        for (int n = 2; ; n++) {
            String p = join(dir, prefix + "-" + n + ".memory");
            if (!taken.test(p)) {
                return p;
            }
        }
    }

    /** The longest backing file name a qcow2 header can hold (QEMU's limit). */
    public static final int MAX_BACKING_NAME_BYTES = 1023;

    /**
     * @param dir the folder overlays of a disk go to
     * @param stem the disk's stem
     * @return the bytes of the longest path an overlay of that disk can get there (the longest snapshot name, a
     *     numbered duplicate), which later overlays record as their backing file name
     */
    public static int longestOverlayPath(String dir, String stem) {
        String name = stem + ".after-" + "x".repeat(dev.esm.api.SnapshotName.MAX_BYTES) + "."
                + STAMP.format(Instant.EPOCH) + "-9999.qcow2";
        int nameBytes = Math.min(MAX_FILE_NAME_BYTES, name.getBytes(StandardCharsets.UTF_8).length);
        return join(dir, "").getBytes(StandardCharsets.UTF_8).length + nameBytes;
    }

    /** @return whether a file name fits the file system's limit */
    public static boolean fits(String fileName) {
        return fileName.getBytes(StandardCharsets.UTF_8).length <= MAX_FILE_NAME_BYTES;
    }

    private static String truncate(String s, int maxBytes) {
        String out = s;
        while (out.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            out = out.substring(0, out.offsetByCodePoints(0, out.codePointCount(0, out.length()) - 1));
        }
        return out;
    }
}
