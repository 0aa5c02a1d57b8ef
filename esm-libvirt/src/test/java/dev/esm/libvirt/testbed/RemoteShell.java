package dev.esm.libvirt.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Commands on the "remote" libvirt host of the remote integration tests, through ssh with the run's key (the
 * sshd and key made by {@code scripts/remote-up.sh}). The tests' client runs where the images are hidden; this
 * is how a test makes images and checks data patterns on the host side, as an operator with a shell there would.
 *
 * <p>Arguments are quoted for the remote shell, so paths with spaces or quotes arrive as given. Every call is one
 * ssh connection; {@link #script} runs several commands in one.
 */
public final class RemoteShell {
    /** The run folder of {@code scripts/remote-up.sh}: {@code ESM_REMOTE_SSH_DIR}, else {@code /run/esm-remote-ssh}. */
    public static final Path SSH_DIR = Path.of(System.getenv().getOrDefault("ESM_REMOTE_SSH_DIR", "/run/esm-remote-ssh"));
    /** The host the test sshd listens on. */
    public static final String HOST = "127.0.0.1";
    private static final long TIMEOUT_SECONDS = 300;

    /** What a command did on the host. */
    public record Result(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

    private final Path config;

    /** A shell on the test host, with the client configuration {@code scripts/remote-up.sh} wrote. */
    public RemoteShell() {
        this(SSH_DIR.resolve("client/config"));
    }

    /** @param config the ssh client configuration (key, known host, port) */
    public RemoteShell(Path config) {
        if (!Files.isRegularFile(config)) {
            throw new IllegalStateException("no ssh client configuration at " + config
                    + ": start the test sshd with 'bash scripts/remote-up.sh'");
        }
        this.config = config;
    }

    /** @return a word quoted for a POSIX shell */
    public static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** Runs a command (one argument per word) on the host; returns its exit and output, failing on neither. */
    public Result exec(List<String> command) {
        StringBuilder line = new StringBuilder();
        for (String w : command) {
            line.append(line.length() == 0 ? "" : " ").append(quote(w));
        }
        return ssh(line.toString());
    }

    /** Runs a command on the host; returns its output (stdout and stderr), failing on a non-zero exit. */
    public String run(String... command) {
        Result r = exec(List.of(command));
        if (!r.ok()) {
            throw new IllegalStateException("on the host: " + List.of(command) + " exited " + r.exit() + ": " + r.output());
        }
        return r.output();
    }

    /**
     * Runs a {@code sh} script on the host with positional arguments ({@code $1}...), in one connection; fails on a
     * non-zero exit. The script runs with {@code set -e}.
     */
    public String script(String script, String... args) {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "set -e; " + script, "esm-remote"));
        cmd.addAll(List.of(args));
        Result r = exec(cmd);
        if (!r.ok()) {
            throw new IllegalStateException("on the host: script exited " + r.exit() + ": " + script + " "
                    + List.of(args) + ": " + r.output());
        }
        return r.output();
    }

    private Result ssh(String remoteLine) {
        // One ssh connection shared by every command (a master kept a minute after the last): a new connection
        // costs about 0.8 s here, a command over a shared one about 0.2 s. Only this shell's commands share it;
        // libvirt's own ssh transport is left alone.
        List<String> cmd = List.of("ssh", "-F", config.toString(), "-o", "ConnectTimeout=30",
                "-o", "ControlMaster=auto", "-o", "ControlPersist=60",
                "-o", "ControlPath=" + config.getParent().getParent().resolve("cm-%C"), HOST, "--", remoteLine);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
                    new java.io.File("/dev/null"))).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("ssh to the test host did not finish: " + remoteLine);
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() == 255) {
                // ssh's own failure (connection, key, host key): not the command's.
                throw new IllegalStateException("ssh to " + HOST + " failed (start the test sshd with"
                        + " 'bash scripts/remote-up.sh'): " + text);
            }
            return new Result(p.exitValue(), text);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run ssh: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // Conveniences for images and folders on the host.

    /** Makes a folder (and its parents) with a mode such as {@code 0755}. */
    public void mkdirs(String dir, String mode) {
        script("mkdir -p \"$1\"; chmod \"$2\" \"$1\"", dir, mode);
    }

    /** @return a new folder {@code parent/prefixXXXXXX} with mode 0755 (reachable by libvirt-qemu) */
    public String mktempDir(String parent, String prefix) {
        return script("mkdir -p \"$1\"; d=$(mktemp -d \"$1/$2XXXXXX\"); chmod 0755 \"$d\"; printf '%s' \"$d\"",
                parent, prefix).trim();
    }

    public void chmod(String mode, String path) {
        run("chmod", mode, path);
    }

    /** @return whether a path exists on the host */
    public boolean exists(String path) {
        return exec(List.of("test", "-e", path)).ok();
    }

    /** Creates an image with {@code qemu-img create}. */
    public void createImage(String format, String path, long size) {
        run("qemu-img", "create", "-q", "-f", format, path, Long.toString(size));
    }

    /** Writes a byte pattern with {@code qemu-io} into an image (which must not be in use). */
    public void writePattern(String format, String path, int pattern, long offset, long length) {
        run("qemu-io", "-f", format, "-c", String.format("write -P 0x%02x %d %d", pattern, offset, length), path);
    }

    /** @return whether the image, read through its backing chain, holds the pattern (read-only, shared) */
    public boolean readsPattern(String format, String path, int pattern, long offset, long length) {
        List<String> cmd = List.of("qemu-io", "-r", "-U", "-f", format, "-c",
                String.format("read -P 0x%02x %d %d", pattern, offset, length), path);
        Result r = exec(cmd);
        // qemu-io 7.2 exits 1 on a pattern mismatch; any other failure (no image, bad format) is an error.
        if (r.output().contains("verification failed")) {
            return false;
        }
        if (!r.ok()) {
            throw new IllegalStateException("on the host: " + cmd + " exited " + r.exit() + ": " + r.output());
        }
        return true;
    }

    /** @return every regular file below a folder on the host (none when it does not exist) */
    public Set<String> files(String dir) {
        String out = script("if [ -d \"$1\" ]; then find \"$1\" -type f; fi", dir);
        Set<String> files = new TreeSet<>();
        out.lines().filter(l -> !l.isBlank()).forEach(files::add);
        return files;
    }

    /** Removes a folder tree on the host. */
    public void removeTree(String dir) {
        run("rm", "-rf", "--", dir);
    }
}
