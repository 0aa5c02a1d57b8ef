#!/usr/bin/env bash
# Installs (when missing) and starts libvirtd + virtlogd with the QEMU driver on a Debian machine
# without systemd, then waits until qemu:///system answers quickly. Idempotent: safe to run again.
# With --install-only, installs the packages and fixes /dev/kvm but starts no daemon (for the in-process
# driver, qemu:///embed). Used by .ci/run and by the README's demo and test commands.
set -euo pipefail
install_only=false
[ "${1:-}" = "--install-only" ] && install_only=true

log() { printf '[libvirt-up] %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

PKGS="libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils ovmf swtpm swtpm-tools tini groff-base"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  log "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # policy-rc.d keeps the package scripts from trying to start services through init scripts.
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# /dev/kvm as root:root 0600 makes libvirt re-probe QEMU capabilities on every call (5-7 s each).
# Debian's default is root:kvm 0660.
if [ -e /dev/kvm ]; then
  getent group kvm >/dev/null || $SUDO groupadd -r kvm
  $SUDO chgrp kvm /dev/kvm || true
  $SUDO chmod 0660 /dev/kvm || true
fi

if $install_only; then
  log "packages installed (no daemon started)"
  exit 0
fi

$SUDO mkdir -p /run/libvirt /var/run/libvirt
# swtpm (a domain's <tpm> emulator) runs as Debian's "tss" user and makes its socket under /run/libvirt/qemu/swtpm:
# /run/libvirt must be traversable (it is 0755 on a systemd host; found 0700 here), and swtpm_localca, which signs
# the TPM's endorsement key at first start, needs its own folder (its package leaves it root-owned when installed
# without a running init).
$SUDO chmod 0755 /run/libvirt
if [ -d /var/lib/swtpm-localca ] && getent passwd tss >/dev/null; then
  $SUDO chown -R tss:root /var/lib/swtpm-localca
  $SUDO chmod 0750 /var/lib/swtpm-localca
fi
# By pid file, not by process name: scripts/libvirt11-up.sh runs a second libvirtd and virtlogd (chrooted, with their
# own /run) that must not pass for this host's.
alive() { [ -f "$1" ] && [ "$(cat "/proc/$(cat "$1")/comm" 2>/dev/null)" = "$2" ] \
  && [ "$($SUDO readlink "/proc/$(cat "$1")/root")" = / ]; }
if ! alive /run/virtlogd.pid virtlogd; then
  log "starting virtlogd"
  $SUDO virtlogd -d
fi
if ! alive /run/libvirtd.pid libvirtd; then
  # libvirt daemonizes each QEMU, so a QEMU that ends is a zombie of this machine's PID 1 until PID 1 reaps it, and
  # libvirt's destroy polls until it is gone. Where PID 1 is no real init (containers, sandboxes: measured here, 1.4 s
  # after QEMU had exited in 7 ms) every destroy pays that. Under tini as a child subreaper (-s), QEMUs are tini's
  # orphans instead and are reaped at once; on a host whose init reaps promptly it changes nothing.
  if command -v tini >/dev/null; then
    log "starting libvirtd (under tini -s, which reaps the QEMUs it orphans)"
    $SUDO setsid tini -s -- libvirtd </dev/null >/dev/null 2>&1 &
  else
    log "starting libvirtd"
    $SUDO libvirtd -d
  fi
fi

# Wait until the daemon answers, then until an answer is quick (the first call probes QEMU).
deadline=$((SECONDS + 120))
until virsh -c qemu:///system version >/dev/null 2>&1; do
  [ $SECONDS -lt $deadline ] || { log "qemu:///system does not answer"; exit 1; }
  sleep 0.5
done
for i in 1 2 3 4 5 6 7 8 9 10; do
  start=$(date +%s%N)
  virsh -c qemu:///system version >/dev/null
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$ms" -lt 1000 ] && break
  log "virsh version took ${ms} ms, waiting for the capabilities cache"
  sleep 1
done
log "libvirt is up: $(virsh -c qemu:///system version 2>/dev/null | tr '\n' ' ')"
