package dev.esm.libvirt.internal.connect;

import dev.esm.api.SnapshotName;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings libvirt's message for a connection that failed to one line. Over {@code qemu+ssh://} libvirt runs the
 * {@code ssh} program and puts whatever it printed on standard error inside its own message ({@code Cannot recv
 * data: <ssh's lines>: Connection reset by peer}): a warning that a host key was added, a missing key file, a
 * refusal, a banner of a dozen lines for a changed host key. When those lines say why ssh failed (an unknown or
 * unauthorised key, a missing or unreadable key file, a host key that cannot be verified or has changed, a refused
 * connection, a timeout, a host name that does not resolve), the result says that, with what to do and ssh's own
 * words for it; otherwise it is libvirt's message with ssh's chatter left out and its lines joined. Control
 * characters left are escaped ({@link SnapshotName#printable}). Pure; stateless; thread-safe.
 */
public final class SshErrors {
    private SshErrors() {
    }

    private static final Pattern KEYFILE_MISSING = Pattern.compile(
            "(?:Warning: Identity file (.+?) not accessible|no such identity: (.+?)): (.+?)\\.?$");
    private static final Pattern KEYFILE_TOO_OPEN = Pattern.compile("Permissions \\S+ for '(.+)' are too open\\.?");
    private static final Pattern KEYFILE_BAD = Pattern.compile("Load key \"(.+)\": (.+?)\\.?$");
    private static final Pattern DENIED = Pattern.compile("(?:(\\S+@\\S+): )?(Permission denied \\(.*\\))\\.?$");
    private static final Pattern HOST_KEY_CHANGED = Pattern.compile("Host key for (\\S+) has changed");
    private static final Pattern REMOVE_WITH = Pattern.compile("^\\s*(ssh-keygen .*-R .*)$");
    private static final Pattern HOST_KEY_UNKNOWN = Pattern.compile("No \\S+ host key is known for (\\S+)");
    private static final Pattern CONNECT = Pattern.compile(
            "ssh: connect to host (\\S+) port (\\d+): (.+?)\\.?$");
    private static final Pattern TIMED_OUT = Pattern.compile("Connection to (\\S+) port (\\d+) timed out");
    private static final Pattern BANNER_TIMED_OUT = Pattern.compile("Connection timed out during banner exchange");
    private static final Pattern RESOLVE = Pattern.compile("ssh: Could not resolve hostname (\\S+?): (.+?)\\.?$");
    private static final Pattern FRAME = Pattern.compile("(?s)((?:Cannot recv data|End of file while reading data"
            + "|Cannot write data): )(.*?)(: (?:Connection reset by peer|Input/output error|Broken pipe))?");
    /** ssh's lines that say nothing about why it failed. */
    private static final Pattern CHATTER = Pattern.compile("Warning: Permanently added .*|\\*\\* .*"
            + "|Pseudo-terminal will not be allocated.*|@+|\\s*");

    /**
     * @param libvirtMessage libvirt's message for a failed connection (may span lines; may be null)
     * @return one line: what went wrong and what to do when ssh's output says it, else libvirt's message on one line
     */
    public static String oneLine(String libvirtMessage) {
        String message = libvirtMessage == null ? "" : libvirtMessage.strip();
        // libvirt's frame around what ssh printed: "Cannot recv data: " ... ": Connection reset by peer"
        Matcher frame = FRAME.matcher(message);
        String start = frame.matches() ? frame.group(1) : "";
        String inner = frame.matches() ? frame.group(2) : message;
        String end = frame.matches() && frame.group(3) != null ? frame.group(3) : "";
        List<String> lines = new ArrayList<>();
        for (String l : inner.split("\r?\n|\r")) {
            lines.add(l.strip());
        }
        String meaning = meaning(lines);
        if (meaning != null) {
            return SnapshotName.printable(meaning);
        }
        List<String> kept = new ArrayList<>();
        for (String l : lines) {
            if (!CHATTER.matcher(l).matches()) {
                kept.add(l);
            }
        }
        return SnapshotName.printable(kept.isEmpty() ? message : start + String.join("; ", kept) + end);
    }

    /** @return what ssh's lines mean and what to do, or null when they say nothing known */
    private static String meaning(List<String> lines) {
        // In order of cause: a missing key file also ends in "Permission denied", a changed host key in "Host key
        // verification failed".
        Matcher m = find(lines, KEYFILE_MISSING);
        if (m != null) {
            String file = m.group(1) != null ? m.group(1) : m.group(2);
            return "the ssh key file " + file + " cannot be read (" + m.group(3) + "); give an existing private key "
                    + "with ?keyfile=PATH in the URI, or leave keyfile out for ssh's own keys";
        }
        m = find(lines, KEYFILE_TOO_OPEN);
        if (m != null) {
            return "ssh refuses the key file " + m.group(1) + ": others may read it (" + m.group() + "); make it "
                    + "readable by its owner only: chmod 600 " + m.group(1);
        }
        m = find(lines, KEYFILE_BAD);
        if (m != null) {
            return "ssh cannot load the key file " + m.group(1) + " (" + m.group(2) + "); give a private key (not "
                    + "the .pub file) with ?keyfile=PATH in the URI";
        }
        m = find(lines, HOST_KEY_CHANGED);
        if (m != null) {
            Matcher remove = find(lines, REMOVE_WITH);
            return "the host key of " + m.group(1) + " is not the one this user's known_hosts has for it (ssh: "
                    + "REMOTE HOST IDENTIFICATION HAS CHANGED; Host key verification failed); if the host was "
                    + "reinstalled or its key replaced, remove the old key"
                    + (remove != null ? " with '" + remove.group(1) + "'" : " with 'ssh-keygen -R HOST'")
                    + " and connect once with ssh to accept the new one, else find out who answers there";
        }
        m = find(lines, HOST_KEY_UNKNOWN);
        if (m != null || find(lines, Pattern.compile("Host key verification failed")) != null) {
            String host = m != null ? m.group(1) : "the host";
            return "ssh does not know the host key of " + host + " and may not ask (Host key verification failed); "
                    + "connect once with ssh as this user to check and accept it, or add it to ~/.ssh/known_hosts";
        }
        m = find(lines, DENIED);
        if (m != null) {
            String who = m.group(1) != null ? m.group(1) : "the host";
            return who + " did not accept the ssh key (" + m.group(2) + "); add the key's public half to "
                    + "~/.ssh/authorized_keys of the URI's user on the host, or give the right private key with "
                    + "?keyfile=PATH in the URI";
        }
        m = find(lines, CONNECT);
        if (m != null) {
            String host = m.group(1) + " port " + m.group(2);
            String why = m.group(3);
            if (why.contains("timed out")) {
                return timeout(host, why);
            }
            if (why.contains("refused")) {
                return "nothing accepts ssh connections at " + host + " (" + why + "); check the host and port in "
                        + "the URI and that sshd runs there";
            }
            return "ssh cannot reach " + host + " (" + why + "); check the host and port in the URI and the network";
        }
        m = find(lines, TIMED_OUT);
        if (m != null) {
            return timeout(m.group(1) + " port " + m.group(2), m.group());
        }
        m = find(lines, BANNER_TIMED_OUT);
        if (m != null) {
            return timeout("the host", m.group());
        }
        m = find(lines, RESOLVE);
        if (m != null) {
            return "ssh cannot resolve the host name " + m.group(1) + " (" + m.group(2) + "); check the host in the "
                    + "URI and this machine's DNS";
        }
        return null;
    }

    private static String timeout(String host, String why) {
        return "ssh got no answer from " + host + " in time (" + why + "); check the host and port in the URI, that "
                + "it is up, and that no firewall drops the connection";
    }

    private static Matcher find(List<String> lines, Pattern p) {
        for (String l : lines) {
            Matcher m = p.matcher(l);
            if (m.find()) {
                return m;
            }
        }
        return null;
    }
}
