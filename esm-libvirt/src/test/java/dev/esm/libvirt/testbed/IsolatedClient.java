package dev.esm.libvirt.testbed;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import dev.esm.libvirt.internal.local.LocalStorage;

/**
 * Processes that act as clients on machines of their own, for the remote tests that run two clients at once or
 * kill one and recover with another. A command runs in a further private mount namespace (inside the remote ITs'
 * one, so the images and the local libvirt sockets stay hidden) with an empty tmpfs of its own over ESM's client
 * state folder {@code /var/lib/esm}: two such clients share nothing but the remote host. Each starts in a session
 * of its own ({@code setsid}), so {@code kill -9 -- -<pid>} reaches everything it started.
 */
public final class IsolatedClient {
    /** ESM's state folder when running as root (see {@code LocalStorage.stateDirectory}). */
    public static final String STATE_DIR = "/var/lib/esm";

    private IsolatedClient() {
    }

    /** @return the command, wrapped to run as an isolated client */
    public static List<String> wrap(List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("setsid", "unshare", "--mount", "--propagation", "private", "sh",
                "-c", "mount -t tmpfs -o mode=0700,size=16m esm-client-state \"$0\" && exec \"$@\"", STATE_DIR));
        cmd.addAll(command);
        return cmd;
    }

    /** @return a child JVM running {@code main} with the tests' class path, as an isolated client */
    public static ProcessBuilder java(Class<?> main, String... args) {
        return java(List.of(), main, args);
    }

    /** @return a child JVM running {@code main} with JVM options (such as {@code -D}s), as an isolated client */
    public static ProcessBuilder java(List<String> jvmOptions, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        cmd.addAll(jvmOptions);
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(wrap(cmd));
    }
}
