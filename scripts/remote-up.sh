#!/usr/bin/env bash
# Makes this machine reachable as a "remote" libvirt host for the remote integration tests (issue 9):
# an sshd of its own that listens on 127.0.0.1 only (port 2222), lets root in with a key pair made for this
# run and nothing else (no passwords, no keyboard-interactive, /root/.ssh untouched), and a client ssh
# folder for the tests' private mount namespace (see esm-libvirt/src/test/sh/hidden-java).
#
# Idempotent: when our sshd is already running, its keys are kept; otherwise everything in the run folder is
# made afresh. Ends by checking, from a private mount namespace set up like the tests' one, that
# `virsh -c <uri>` answers, then prints the URI on stdout (and stores it in $RUN_DIR/uri).
#
# Run after scripts/libvirt-up.sh (libvirtd must be up). Needs root (as the tests do: unshare, mount).
#
# Files (RUN_DIR defaults to /run/esm-remote-ssh; not under /var/tmp, whose world-writable mode makes sshd's
# StrictModes reject an AuthorizedKeysFile below it):
#   $RUN_DIR/sshd_config, ssh_host_ed25519_key[.pub], authorized_keys, sshd.pid, sshd.log
#   $RUN_DIR/client/       bind-mounted over /root/.ssh in the test namespace:
#       config             IdentityFile, UserKnownHostsFile (pre-filled), StrictHostKeyChecking yes, BatchMode
#       id_ed25519[.pub]   the run's client key
#       known_hosts        the run's host key for [127.0.0.1]:2222
#   $RUN_DIR/uri           the libvirt URI to use
set -euo pipefail

RUN_DIR=${ESM_REMOTE_SSH_DIR:-/run/esm-remote-ssh}
PORT=${ESM_REMOTE_SSH_PORT:-2222}
HOST=127.0.0.1
CLIENT="$RUN_DIR/client"
# The images root the remote ITs use; the daemon sees it, the tests' namespace hides it (an empty tmpfs).
RIT_ROOT=${ESM_RIT_ROOT:-/var/tmp/esm-rit}
# libvirt's ssh transport (libvirt 9.0) runs the `ssh` binary: `ssh -p PORT -l root -i KEYFILE -T -e none
# -- 127.0.0.1 sh -c '...virt-ssh-helper qemu:///system...'`. keyfile= is stated explicitly; the host key
# check comes from ~/.ssh/config (the passwd home, so the namespace's bind mount), since the ssh transport
# has no known_hosts= parameter (that one is for libssh/libssh2 only).
URI="qemu+ssh://root@$HOST:$PORT/system?keyfile=$CLIENT/id_ed25519"

log() { printf '[remote-up] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (sshd for root, unshare and mount for the check)"
# The run folder is removed and made afresh below: refuse anything that does not look like ours.
case "$RUN_DIR" in
  /*esm*) ;;
  *) die "ESM_REMOTE_SSH_DIR must be an absolute path containing 'esm' (got '$RUN_DIR')" ;;
esac
# Two test runs starting at once (several worktrees on one machine) must not both make fresh keys.
exec 9>"$RUN_DIR.lock"
flock 9

# 1. openssh-server (the client is already there on the CI image; install both if not).
if [ ! -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
  log "installing openssh-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The image's policy-rc.d keeps the package from starting the system's own sshd on port 22.
  apt-get install -y -qq --no-install-recommends openssh-server openssh-client >/dev/null
fi
# sshd's privilege-separation folder (normally made by the init script, which we do not run).
mkdir -p /run/sshd
chmod 0755 /run/sshd

# The images root must exist (mode 0755, so libvirt-qemu gets through) before the namespace can hide it.
mkdir -p "$RIT_ROOT"
chmod 0755 "$RIT_ROOT"

# 2. Is our sshd already running? (pid file in the run folder, and that process is an sshd on our config)
running() {
  [ -f "$RUN_DIR/sshd.pid" ] || return 1
  local pid
  pid=$(cat "$RUN_DIR/sshd.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "sshd -f $RUN_DIR/sshd_config"
}

if running; then
  log "sshd already running (pid $(cat "$RUN_DIR/sshd.pid")), keeping its keys"
else
  # 3. A fresh run folder: host key, client key pair, authorized_keys, client config, sshd config.
  rm -rf "$RUN_DIR"
  mkdir -p "$RUN_DIR"
  chmod 0700 "$RUN_DIR"
  ssh-keygen -q -t ed25519 -N '' -C "esm-remote-host" -f "$RUN_DIR/ssh_host_ed25519_key"
  mkdir -m 0700 "$CLIENT"
  ssh-keygen -q -t ed25519 -N '' -C "esm-remote-client" -f "$CLIENT/id_ed25519"
  # Only this key, only from the loopback address, no forwarding of any kind.
  printf 'from="127.0.0.1",no-agent-forwarding,no-port-forwarding,no-X11-forwarding %s\n' \
    "$(cat "$CLIENT/id_ed25519.pub")" >"$RUN_DIR/authorized_keys"
  chmod 0600 "$RUN_DIR/authorized_keys"
  # known_hosts for a non-22 port is keyed "[host]:port".
  printf '[%s]:%s %s\n' "$HOST" "$PORT" "$(cut -d' ' -f1,2 "$RUN_DIR/ssh_host_ed25519_key.pub")" \
    >"$CLIENT/known_hosts"
  chmod 0600 "$CLIENT/known_hosts"
  # Absolute paths, so the same file works as /root/.ssh/config in the namespace and with `ssh -F` outside.
  cat >"$CLIENT/config" <<EOF
# Client side of the ESM remote integration tests (written by scripts/remote-up.sh).
Host $HOST
  Port $PORT
  User root
  IdentityFile $CLIENT/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $CLIENT/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  BatchMode yes
  PasswordAuthentication no
  KbdInteractiveAuthentication no
  ForwardAgent no
  ForwardX11 no
  LogLevel ERROR
EOF
  chmod 0600 "$CLIENT/config"
  cat >"$RUN_DIR/sshd_config" <<EOF
# sshd of the ESM remote integration tests (written by scripts/remote-up.sh): loopback only, root by the
# run's key only.
ListenAddress $HOST:$PORT
HostKey $RUN_DIR/ssh_host_ed25519_key
PidFile $RUN_DIR/sshd.pid
AuthorizedKeysFile $RUN_DIR/authorized_keys
AuthorizedPrincipalsFile none
PermitRootLogin prohibit-password
AllowUsers root
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
HostbasedAuthentication no
GSSAPIAuthentication no
UsePAM no
StrictModes yes
AllowAgentForwarding no
AllowTcpForwarding no
X11Forwarding no
PermitTunnel no
PrintMotd no
UseDNS no
# The contract suite opens many connections at once (each bed and manager is one).
MaxStartups 100:30:200
MaxSessions 50
# sshd runs every command through root's login shell, and bash started by sshd sources ~/.bashrc when it is a
# top-level shell (SHLVL < 2 after its own increment). A heavy ~/.bashrc (this machine image's runs 'pyenv init',
# 150 ms) then costs that much per command and per libvirt connection; SHLVL=1 makes bash a nested shell.
SetEnv SHLVL=1
Subsystem sftp internal-sftp
EOF
  chmod 0600 "$RUN_DIR/sshd_config"
  /usr/sbin/sshd -t -f "$RUN_DIR/sshd_config" || die "sshd rejects $RUN_DIR/sshd_config"
  log "starting sshd on $HOST:$PORT"
  # sshd daemonises itself and writes the pid file; its log goes to a file in the run folder.
  /usr/sbin/sshd -f "$RUN_DIR/sshd_config" -E "$RUN_DIR/sshd.log" \
    || die "sshd did not start (is port $PORT taken? see $RUN_DIR/sshd.log)"
fi

# 4. Wait until ssh with the run's key answers (a command on the "remote" host).
deadline=$((SECONDS + 30))
until ssh -F "$CLIENT/config" "$HOST" true 2>/dev/null; do
  if [ $SECONDS -ge $deadline ]; then
    ssh -F "$CLIENT/config" "$HOST" true || true
    die "ssh -F $CLIENT/config $HOST does not answer; see $RUN_DIR/sshd.log"
  fi
  sleep 0.2
done
log "ssh answers on $HOST:$PORT"

# 5. The URI works as the tests use it: in a private mount namespace with the client folder over /root/.ssh.
# /root/.ssh must exist as a mount point; an empty one is made when missing (nothing in it is touched).
[ -d /root/.ssh ] || mkdir -m 0700 /root/.ssh
# shellcheck disable=SC2016
if ! out=$(unshare --mount --propagation private sh -c \
    'mount --bind "$1" /root/.ssh && virsh -c "$2" uri' check "$CLIENT" "$URI" 2>&1); then
  die "virsh -c '$URI' fails from the test namespace (is libvirtd up? bash scripts/libvirt-up.sh): $out"
fi
log "virsh over ssh answers: $out"

printf '%s\n' "$URI" >"$RUN_DIR/uri"
printf '%s\n' "$URI"
