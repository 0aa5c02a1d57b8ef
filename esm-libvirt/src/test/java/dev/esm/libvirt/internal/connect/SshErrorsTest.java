package dev.esm.libvirt.internal.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.esm.api.errors.HypervisorException;
import org.junit.jupiter.api.Test;
import dev.esm.libvirt.internal.connect.LibvirtErrors;
import dev.esm.libvirt.internal.connect.SshErrors;

/**
 * libvirt's messages for connections over {@code qemu+ssh://} that failed, as libvirt 9.0 with OpenSSH 9.2 gave them
 * (taken from a client against a test sshd: line breaks and carriage returns as ssh wrote them), brought to one line.
 */
class SshErrorsTest {
    static final String FRAME_START = "Cannot recv data: ";
    static final String FRAME_END = ": Connection reset by peer";

    static String libvirt(String sshOutput) {
        return FRAME_START + sshOutput + FRAME_END;
    }

    static void assertOneLine(String line) {
        assertFalse(line.contains("\n") || line.contains("\r"), line);
        assertTrue(line.chars().noneMatch(Character::isISOControl), line);
    }

    @Test
    void aKeyTheHostDoesNotAcceptIsSaidSoWithoutTheKnownHostsWarning() {
        String line = SshErrors.oneLine(libvirt("Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list "
                + "of known hosts.\r\nroot@127.0.0.1: Permission denied (publickey)."));
        assertOneLine(line);
        assertEquals("root@127.0.0.1 did not accept the ssh key (Permission denied (publickey)); add the key's public "
                + "half to ~/.ssh/authorized_keys of the URI's user on the host, or give the right private key with "
                + "?keyfile=PATH in the URI", line);
    }

    @Test
    void aKeyRefusedWithoutAWarningIsTheSame() {
        String line = SshErrors.oneLine(libvirt("root@h7: Permission denied (publickey,password)."));
        assertTrue(line.startsWith("root@h7 did not accept the ssh key (Permission denied (publickey,password)); "),
                line);
    }

    @Test
    void aMissingKeyFileIsNamedAsTheCauseNotTheRefusalThatFollows() {
        String line = SshErrors.oneLine(libvirt("Warning: Identity file /tmp/keys/nothere not accessible: No such file"
                + " or directory.\nWarning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts."
                + "\r\nroot@127.0.0.1: Permission denied (publickey)."));
        assertOneLine(line);
        assertEquals("the ssh key file /tmp/keys/nothere cannot be read (No such file or directory); give an existing "
                + "private key with ?keyfile=PATH in the URI, or leave keyfile out for ssh's own keys", line);
    }

    @Test
    void aKeyFileOthersCanReadIsRefusedWithTheChmodToFixIt() {
        String line = SshErrors.oneLine(libvirt("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
                + "@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\r\n"
                + "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
                + "Permissions 0644 for '/k/id' are too open.\r\n"
                + "It is required that your private key files are NOT accessible by others.\r\n"
                + "This private key will be ignored.\r\nLoad key \"/k/id\": bad permissions\r\n"
                + "root@h: Permission denied (publickey)."));
        assertOneLine(line);
        assertTrue(line.startsWith("ssh refuses the key file /k/id: others may read it (") && line.endsWith(
                "; make it readable by its owner only: chmod 600 /k/id"), line);
    }

    @Test
    void aChangedHostKeyIsReportedWithSshsOwnRemovalCommand() {
        String line = SshErrors.oneLine(libvirt("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
                + "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n"
                + "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
                + "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n"
                + "Someone could be eavesdropping on you right now (man-in-the-middle attack)!\r\n"
                + "It is also possible that a host key has just been changed.\r\n"
                + "The fingerprint for the ED25519 key sent by the remote host is\n"
                + "SHA256:7ndZfL1fITCV9lUZmKErkbqwR0kUuPOTMcPpiUzChK0.\r\n"
                + "Please contact your system administrator.\r\n"
                + "Add correct host key in /root/.ssh/known_hosts to get rid of this message.\r\n"
                + "Offending ED25519 key in /root/.ssh/known_hosts:1\r\n"
                + "  remove with:\r\n"
                + "  ssh-keygen -f \"/root/.ssh/known_hosts\" -R \"[127.0.0.1]:2222\"\r\n"
                + "Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.\r\n"
                + "Host key verification failed."));
        assertOneLine(line);
        assertEquals("the host key of [127.0.0.1]:2222 is not the one this user's known_hosts has for it (ssh: REMOTE "
                + "HOST IDENTIFICATION HAS CHANGED; Host key verification failed); if the host was reinstalled or its "
                + "key replaced, remove the old key with 'ssh-keygen -f \"/root/.ssh/known_hosts\" -R "
                + "\"[127.0.0.1]:2222\"' and connect once with ssh to accept the new one, else find out who answers "
                + "there", line);
    }

    @Test
    void anUnknownHostKeyUnderStrictCheckingIsReported() {
        String line = SshErrors.oneLine(libvirt("No ED25519 host key is known for [127.0.0.1]:2222 and you have "
                + "requested strict checking.\r\nHost key verification failed."));
        assertOneLine(line);
        assertEquals("ssh does not know the host key of [127.0.0.1]:2222 and may not ask (Host key verification "
                + "failed); connect once with ssh as this user to check and accept it, or add it to "
                + "~/.ssh/known_hosts", line);
        // ssh with no terminal to ask on says only the last line
        assertTrue(SshErrors.oneLine(libvirt("Host key verification failed.")).startsWith(
                "ssh does not know the host key of the host and may not ask"));
    }

    @Test
    void aRefusedConnectionATimeoutAndAnUnknownNameAreSaidSo() {
        assertEquals("nothing accepts ssh connections at 127.0.0.1 port 2223 (Connection refused); check the host and "
                + "port in the URI and that sshd runs there",
                SshErrors.oneLine(libvirt("ssh: connect to host 127.0.0.1 port 2223: Connection refused")));
        String banner = SshErrors.oneLine(libvirt("Connection timed out during banner exchange\n"
                + "Connection to 10.255.255.1 port 22 timed out"));
        assertOneLine(banner);
        assertTrue(banner.startsWith("ssh got no answer from 10.255.255.1 port 22 in time ("), banner);
        assertTrue(SshErrors.oneLine(libvirt("ssh: connect to host 10.255.255.1 port 22: Connection timed out"))
                .startsWith("ssh got no answer from 10.255.255.1 port 22 in time (Connection timed out); "));
        assertTrue(SshErrors.oneLine(libvirt("ssh: connect to host 10.1.2.3 port 22: No route to host"))
                .startsWith("ssh cannot reach 10.1.2.3 port 22 (No route to host); "));
        assertEquals("ssh cannot resolve the host name nohost.invalid (Name or service not known); check the host in "
                + "the URI and this machine's DNS", SshErrors.oneLine(libvirt("ssh: Could not resolve hostname "
                + "nohost.invalid: Name or service not known")));
        assertTrue(SshErrors.oneLine(libvirt("ssh: Could not resolve hostname h7: Temporary failure in name "
                + "resolution")).startsWith("ssh cannot resolve the host name h7 (Temporary failure in name "
                + "resolution); "));
    }

    @Test
    void anythingElseIsLibvirtsMessageOnOneLineWithoutSshsChatter() {
        assertEquals("End of file while reading data: sh: 1: nc: not found: Input/output error",
                SshErrors.oneLine("End of file while reading data: Warning: Permanently added '[127.0.0.1]:2222' "
                        + "(ED25519) to the list of known hosts.\r\nsh: 1: nc: not found: Input/output error"));
        String local = "Failed to connect socket to '/var/run/libvirt/virtqemud-sock': No such file or directory";
        assertEquals(local, SshErrors.oneLine(local), "a message of one line is left as it is");
        assertEquals("a; b\\u0007c", SshErrors.oneLine("a\r\n\r\nb\u0007c"));
        assertEquals("", SshErrors.oneLine(null));
    }

    @Test
    void theExceptionKeepsLibvirtsCodeAndVerbatimMessageAndSaysItOnOneLine() {
        String verbatim = libvirt("Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known "
                + "hosts.\r\nroot@127.0.0.1: Permission denied (publickey).");
        int code = org.libvirt.Error.ErrorNumber.VIR_ERR_SYSTEM_ERROR.ordinal();
        HypervisorException h = LibvirtErrors.connecting("qemu+ssh://root@127.0.0.1:2222/system", code,
                "VIR_ERR_SYSTEM_ERROR", verbatim, null);
        assertEquals("VIR_ERR_SYSTEM_ERROR", h.codeName());
        assertEquals(org.libvirt.Error.ErrorNumber.VIR_ERR_SYSTEM_ERROR.ordinal(), h.code());
        assertEquals(verbatim, h.hypervisorMessage());
        assertOneLine(h.getMessage());
        assertEquals("connecting to qemu+ssh://root@127.0.0.1:2222/system failed: root@127.0.0.1 did not accept the "
                + "ssh key (Permission denied (publickey)); add the key's public half to ~/.ssh/authorized_keys of the "
                + "URI's user on the host, or give the right private key with ?keyfile=PATH in the URI (libvirt "
                + "VIR_ERR_SYSTEM_ERROR)", h.getMessage());
    }

    @Test
    void anyHypervisorMessageIsShownOnOneLine() {
        HypervisorException h = new HypervisorException("looking up domain 'x\\u000ay'", 42, "VIR_ERR_NO_DOMAIN",
                "Domain not found: no domain with matching name 'x\ny'", null);
        assertOneLine(h.getMessage());
        assertTrue(h.getMessage().endsWith("(libvirt VIR_ERR_NO_DOMAIN: Domain not found: no domain with matching "
                + "name 'x\\u000ay')"), h.getMessage());
        assertEquals("Domain not found: no domain with matching name 'x\ny'", h.hypervisorMessage());
    }
}
