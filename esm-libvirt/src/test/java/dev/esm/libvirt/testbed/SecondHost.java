package dev.esm.libvirt.testbed;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The other host of the tests that move domains between hosts: the second libvirt on this machine when the tests run
 * against the host's ({@code scripts/libvirt11-up.sh} makes and starts it, or {@code ESM_TEST_URI2} names one), and
 * the host's when they run against the second. The two share no storage for the folders {@link #folder} gives: each
 * is a folder of the other host's own root, which the bed's libvirt does not see.
 */
public final class SecondHost {
    private static final String HOSTS = "qemu:///system";

    private SecondHost() {
    }

    /**
     * @return the other host's URI; fails (never skips) when it cannot be started, or when the bed is not the host's
     *         libvirt (whose domains' folders this machine sees at the same paths)
     */
    public static String uri() {
        if (!LibvirtBed.URI.equals(HOSTS)) {
            throw new IllegalStateException("the tests between two hosts run with the bed on the host's libvirt ("
                    + HOSTS + "), not " + LibvirtBed.URI + ": unset ESM_TEST_URI (ESM_TEST_URI2 names the other)");
        }
        String given = System.getenv("ESM_TEST_URI2");
        if (given != null && !given.isBlank()) {
            return given;
        }
        Path script = Path.of("..", "scripts", "libvirt11-up.sh");
        if (!Files.exists(script)) {
            throw new IllegalStateException("cannot find " + script.toAbsolutePath() + " to start the second libvirt;"
                    + " set ESM_TEST_URI2");
        }
        List<String> lines = LibvirtBed.run(List.of("bash", script.toString())).lines().toList();
        return lines.stream().filter(l -> l.startsWith("qemu")).reduce((a, b) -> b).orElseThrow(
                () -> new IllegalStateException("scripts/libvirt11-up.sh printed no URI: " + lines));
    }

    /**
     * The second libvirt for the remote ITs, whose client runs in a private mount namespace: started (if it is not
     * up) by {@code scripts/libvirt11-up.sh} run on the host through ssh, outside that namespace, so that its daemons
     * and mounts are the machine's and not the namespace's copies (where the remote images root is an empty tmpfs).
     * The client then reaches it on its UNIX socket, which the namespace keeps (it hides only {@code /run/libvirt},
     * the host's libvirt 9.0 sockets, so that the host's libvirt is reached over ssh alone).
     *
     * @param shell a shell on the host
     * @return the second libvirt's URI ({@code ESM_TEST_URI2} when set); fails (never skips) when it cannot start
     */
    public static String uriFromHost(RemoteShell shell) {
        String given = System.getenv("ESM_TEST_URI2");
        if (given != null && !given.isBlank()) {
            return given;
        }
        Path script = Path.of("..", "scripts", "libvirt11-up.sh").toAbsolutePath().normalize();
        if (!Files.exists(script)) {
            throw new IllegalStateException("cannot find " + script + " to start the second libvirt; set ESM_TEST_URI2");
        }
        List<String> lines = shell.run("bash", script.toString()).lines().toList();
        return lines.stream().filter(l -> l.startsWith("qemu")).reduce((a, b) -> b).orElseThrow(
                () -> new IllegalStateException("scripts/libvirt11-up.sh printed no URI on the host: " + lines));
    }

    /** @return whether {@code uri} is the second libvirt's (in its own root), not the host's */
    public static boolean inRoot(String uri) {
        return !uri.equals(HOSTS);
    }

    /**
     * @param name a name for the folder
     * @return a folder of the host's that the second libvirt does not see (its root has its own {@code /var/lib};
     *         the bed's folders under {@code /var/tmp} it sees at the same paths, as shared storage)
     */
    public static String hostOnlyFolder(String name) {
        return "/var/lib/esm-it-here/" + name;
    }

    /**
     * @param uri the other host
     * @param name a name for the folder
     * @return a folder (as that host names it) that the other one does not see
     */
    public static String folder(String uri, String name) {
        return "/var/lib/esm-moved/" + name;
    }

    /** @return where this machine sees the other host's {@code folder} (for cleaning up) */
    public static Path onThisMachine(String uri, String folder) {
        if (!inRoot(uri)) {
            return Path.of(folder);
        }
        return root().resolve(folder.substring(1));
    }

    /** @return the second libvirt's root folder on this machine */
    public static Path root() {
        return Path.of(System.getenv().getOrDefault("ESM_LIBVIRT11_DIR", "/var/lib/esm-libvirt11"), "root");
    }
}
