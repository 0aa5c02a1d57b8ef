package dev.esm.libvirt.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a client process called of libvirt's public API, read from libvirt's own client-side log: the process runs
 * with {@link #environment(Path)}, which makes libvirt (in the client, not the daemon) log at debug level only its
 * public API modules ({@code libvirt.c}, {@code libvirt-domain.c}, {@code libvirt-storage.c}, ..., whose log
 * categories are {@code libvirt} and {@code libvirt.*}, and {@code libvirt-qemu.c}'s {@code libvirt-qemu}). Each
 * public entry point logs one line as it is entered, {@code <date> <time>+0000: <thread>: debug : <function>:<line> :
 * <arguments>}, with the time in UTC to the millisecond, before it does anything: a call appears in the log even
 * when libvirt then fails it.
 *
 * <p>{@link #isChanging(String)} says which entry points change a domain, an image, a pool or ESM's state on the
 * host (definitions, volumes, block jobs, snapshots, life cycle, devices, metadata); lookups, XML reads, job and
 * block-job queries and downloads do not.
 */
public final class LibvirtCallLog {
    /** The log categories of libvirt's public API (fnmatch patterns, as libvirt 9 matches filters). */
    public static final String FILTERS = "1:libvirt 1:libvirt.* 1:libvirt-qemu";

    private static final Pattern LINE = Pattern.compile(
            "^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3})\\+0000: (\\d+): debug : (vir\\w+):\\d+ : ?(.*)$");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    /** Entry points that change something, by their name's start. */
    private static final List<String> CHANGING_PREFIXES = List.of(
            "virDomainDefineXML", "virDomainUndefine", "virDomainCreate", "virDomainDestroy", "virDomainShutdown",
            "virDomainReboot", "virDomainReset", "virDomainSuspend", "virDomainResume", "virDomainPMSuspend",
            "virDomainPMWakeup", "virDomainSave", "virDomainManagedSave", "virDomainRestore",
            "virDomainAttachDevice", "virDomainDetachDevice", "virDomainUpdateDevice", "virDomainBlockCommit",
            "virDomainBlockPull", "virDomainBlockRebase", "virDomainBlockCopy", "virDomainBlockJobAbort",
            "virDomainBlockJobSetSpeed", "virDomainBlockResize", "virDomainSnapshotCreateXML",
            "virDomainSnapshotDelete", "virDomainRevertToSnapshot", "virDomainCheckpointCreateXML",
            "virDomainCheckpointDelete", "virDomainSetMetadata", "virDomainFSFreeze", "virDomainFSThaw",
            "virDomainQemuMonitorCommand", "virDomainQemuAgentCommand", "virDomainSetAutostart",
            "virDomainMigrate", "virDomainAbortJob", "virDomainSendKey", "virDomainInjectNMI",
            "virStorageVolCreateXML", "virStorageVolUpload", "virStorageVolDelete", "virStorageVolWipe",
            "virStorageVolResize", "virStoragePoolCreate", "virStoragePoolDefineXML", "virStoragePoolDestroy",
            "virStoragePoolUndefine", "virStoragePoolDelete", "virStoragePoolBuild", "virStoragePoolSetAutostart");
    /** Names that start like a changing call but only read. */
    private static final Set<String> READING = Set.of("virDomainSaveImageGetXMLDesc",
            "virDomainManagedSaveGetXMLDesc");

    /** One entry into libvirt's public API. */
    public record Call(Instant at, long thread, String name, String arguments) {
        public boolean changing() {
            return isChanging(name);
        }

        @Override
        public String toString() {
            return at + " [" + thread + "] " + name + (arguments.isEmpty() ? "" : " : " + abbreviate(arguments));
        }
    }

    private LibvirtCallLog() {
    }

    /** @return the environment that makes a process's libvirt client log its public API calls into {@code file} */
    public static Map<String, String> environment(Path file) {
        return Map.of("LIBVIRT_LOG_OUTPUTS", "1:file:" + file.toAbsolutePath(), "LIBVIRT_LOG_FILTERS", FILTERS);
    }

    /** @return whether the entry point {@code name} changes something (see the class comment) */
    public static boolean isChanging(String name) {
        return !READING.contains(name) && CHANGING_PREFIXES.stream().anyMatch(name::startsWith);
    }

    /** @return every public API call in the log, in order; none when the file does not exist */
    public static List<Call> read(Path file) {
        List<Call> calls = new ArrayList<>();
        if (!Files.exists(file)) {
            return calls;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the libvirt log " + file, e);
        }
        for (String line : lines) {
            parse(line).ifPresent(calls::add);
        }
        return calls;
    }

    /** @return the call a line of the log records; empty for other lines (errors, continuation lines) */
    public static java.util.Optional<Call> parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
            return java.util.Optional.empty();
        }
        Instant at = LocalDateTime.parse(m.group(1), TIME).toInstant(ZoneOffset.UTC);
        return java.util.Optional.of(new Call(at, Long.parseLong(m.group(2)), m.group(3), m.group(4)));
    }

    /** @return the changing calls entered at or after {@code from} */
    public static List<Call> changingSince(List<Call> calls, Instant from) {
        return calls.stream().filter(c -> c.changing() && !c.at().isBefore(from)).toList();
    }

    private static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 160) + "...";
    }
}
