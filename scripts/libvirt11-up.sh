#!/usr/bin/env bash
# A second libvirt on the same machine, for running the integration tests against the libvirt and QEMU that users
# of newer distributions run (Debian 13, bookworm-backports: libvirt 11.3, QEMU 10.0) as well as the host's.
#
# Makes (once) a Debian 12 root with debootstrap, installs bookworm-backports' libvirt daemon, QEMU driver, storage
# driver and QEMU in it, and starts its virtlogd and libvirtd chrooted there. The root's /run is a host folder, so
# its sockets and pid files are reachable from the host and never clash with the host's daemons (no TCP either).
# The folders the tests keep images in (/var/tmp, /dev/shm through /dev) are bind-mounted at the same paths, so a
# test can hand the second libvirtd a path and read the same file with the host's qemu-io.
#
# Idempotent: the root is made once (markers record the debootstrap and the packages that went in), mounts and
# daemons are checked each time. Prints the URI on stdout: qemu+unix:///system?socket=/run/esm-libvirt11/libvirt/libvirt-sock
# Environment: ESM_LIBVIRT11_DIR (default /var/lib/esm-libvirt11), ESM_LIBVIRT11_RUN (default /run/esm-libvirt11),
# ESM_DEBIAN_MIRROR (default http://deb.debian.org/debian).
# With --stop: stops the second root's daemons and unmounts its folders (the root stays for the next run).
set -euo pipefail

DIR="${ESM_LIBVIRT11_DIR:-/var/lib/esm-libvirt11}"
ROOT="$DIR/root"
RUN="${ESM_LIBVIRT11_RUN:-/run/esm-libvirt11}"
MIRROR="${ESM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SOCK="$RUN/libvirt/libvirt-sock"
URI="qemu+unix:///system?socket=$SOCK"
MARKER="$ROOT/.esm-libvirt11-complete"
# The tests' image folders, at the same path inside as outside.
SHARED="/var/tmp"

log() { printf '[libvirt11-up] %s\n' "$*" >&2; }
die() { log "CANNOT START THE SECOND LIBVIRT: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"

# A daemon of this root: its pid file names a live process whose root folder is this root (a stale pid file naming a
# reused pid does not pass).
alive() { [ -f "$1" ] && [ "$(readlink "/proc/$(cat "$1" 2>/dev/null)/root" 2>/dev/null)" = "$(readlink -f "$ROOT")" ]; }

stop() {
  for d in libvirtd virtlogd; do
    if alive "$RUN/$d.pid"; then
      log "stopping $d ($(cat "$RUN/$d.pid"))"
      kill "$(cat "$RUN/$d.pid")" || true
      for _ in $(seq 1 50); do alive "$RUN/$d.pid" || break; sleep 0.2; done
    fi
  done
  # Deepest first.
  for m in $(awk -v r="$ROOT/" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount -l "$m" || true
  done
  if mountpoint -q "$ROOT"; then umount -l "$ROOT" || true; fi
}
# One run at a time (two test runs on one machine must not debootstrap into the same folder at once).
mkdir -p "$DIR"
exec 9>"$DIR/lock"
flock 9
if [ "${1:-}" = "--stop" ]; then stop; exit 0; fi

# --- the root (once) --------------------------------------------------------------------------------------------
# What goes in from bookworm-backports: the monolithic libvirtd, its QEMU, storage (dir pools) and secret (LUKS
# disks) drivers, and QEMU; OVMF and swtpm (from bookworm) for the firmware-state tests. Changing the list installs
# the difference at the next run, without a new debootstrap.
PKGS="libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-driver-storage libvirt-daemon-driver-secret"
PKGS="$PKGS qemu-system-x86 qemu-utils ovmf swtpm swtpm-tools"
BASE="$ROOT/.esm-debootstrap-complete"
export DEBIAN_FRONTEND=noninteractive
if [ ! -f "$BASE" ]; then
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null || die "cannot install debootstrap"
  fi
  # A half-made root from an interrupted run: start again (after unmounting anything left in it).
  stop
  if [ -e "$ROOT" ]; then log "removing the incomplete root $ROOT"; rm -rf --one-file-system "$ROOT"; fi
  log "debootstrap of bookworm (minbase) into $ROOT"
  debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$DIR/debootstrap.log" 2>&1 \
    || { tail -20 "$DIR/debootstrap.log" >&2; die "debootstrap failed (log: $DIR/debootstrap.log)"; }
  echo "deb $MIRROR bookworm-backports main" >"$ROOT/etc/apt/sources.list.d/bookworm-backports.list"
  # Package scripts must not start services.
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod +x "$ROOT/usr/sbin/policy-rc.d"
  touch "$BASE"
fi
if [ "$(head -1 "$MARKER" 2>/dev/null)" != "packages: $PKGS" ]; then
  stop # a running libvirtd would not load drivers installed under it
  mount -t proc proc "$ROOT/proc"
  log "installing libvirt and QEMU from bookworm-backports in the root"
  {
    chroot "$ROOT" apt-get update -qq &&
      chroot "$ROOT" apt-get install -y -qq --no-install-recommends -t bookworm-backports $PKGS
  } >"$DIR/apt.log" 2>&1 || {
    umount "$ROOT/proc"
    tail -20 "$DIR/apt.log" >&2
    die "apt-get in the root failed (log: $DIR/apt.log)"
  }
  umount "$ROOT/proc"
  # No AppArmor or SELinux inside the root; no cgroups (the host's libvirtd owns the machine's cgroup tree).
  if ! grep -q '^# esm (scripts/libvirt11-up.sh)' "$ROOT/etc/libvirt/qemu.conf"; then
    cat >>"$ROOT/etc/libvirt/qemu.conf" <<'EOF'

# esm (scripts/libvirt11-up.sh): a second libvirtd chrooted next to the host's one.
security_driver = "none"
cgroup_controllers = [ ]
EOF
  fi
  { echo "packages: $PKGS"
    chroot "$ROOT" dpkg-query -W -f='${Package} ${Version}\n' libvirt-daemon qemu-system-x86; } >"$MARKER"
  log "root ready: $(tail -n +2 "$MARKER" | tr '\n' ' ')"
fi

# Live moves between this libvirt and the host's (TransferIT): QEMU without a mount namespace of its own (libvirt's
# namespace escapes the chroot, and its labelling of a disk in a folder of the root's own, which the host does not
# see, lands on the host's file at that path), and incoming migrations on ports of their own, apart from the host's
# libvirt's (49152-49215). Added to a root made before, and the daemon restarted, when missing.
if ! grep -q '^# esm live moves' "$ROOT/etc/libvirt/qemu.conf"; then
  cat >>"$ROOT/etc/libvirt/qemu.conf" <<'EOF'

# esm live moves (scripts/libvirt11-up.sh): no private mount namespace; migration ports apart from the host's.
namespaces = [ ]
migration_port_min = 49400
migration_port_max = 49463
EOF
  if alive "$RUN/libvirtd.pid"; then
    log "restarting libvirtd in the root for its new settings"
    kill "$(cat "$RUN/libvirtd.pid")" || true
    for _ in $(seq 1 50); do alive "$RUN/libvirtd.pid" || break; sleep 0.2; done
  fi
fi

# --- mounts --------------------------------------------------------------------------------------------------------
mkdir -p "$RUN"
# The root bound onto itself, so that its / is a mount point: libvirt's QEMU driver gives each QEMU a private mount
# namespace and first makes / a slave mount, which fails (EINVAL) on a folder that is not one.
# Private, and the host's folders bound in as slaves: where / is a shared mount (systemd), mounts and unmounts made
# in the root (--stop's included) must not reach the host's /dev, /sys or /var/tmp.
mountpoint -q "$ROOT" || { mount --bind "$ROOT" "$ROOT" && mount --make-private "$ROOT"; }
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
mountpoint -q "$ROOT/sys" || { mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys"; }
mountpoint -q "$ROOT/dev" || { mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev"; }
mountpoint -q "$ROOT/run" || mount --bind "$RUN" "$ROOT/run"
# A file system a test mounts under one of them later (BadInputIT's small tmpfs, to fill it) must show in the root
# too: the host's folder is made a shared mount (bound onto itself, with what is mounted under it) first.
for d in $SHARED; do
  mkdir -p "$d" "$ROOT$d"
  if ! mountpoint -q "$ROOT$d"; then
    mountpoint -q "$d" || mount --rbind "$d" "$d"
    mount --make-shared "$d"
    mount --rbind "$d" "$ROOT$d" && mount --make-rslave "$ROOT$d"
  fi
done

# QEMU runs as the root's libvirt-qemu (uid 64055, as Debian reserves it, so the same as the host's; libvirt's
# dynamic_ownership gives it the images). Its kvm group must have /dev/kvm's gid: else libvirt finds KVM unusable
# for that user and probes QEMU's capabilities anew on every call (4-5 s each).
if [ -e /dev/kvm ]; then
  kvm_gid=$(stat -c %g /dev/kvm)
  if [ "$(chroot "$ROOT" getent group kvm | cut -d: -f3)" != "$kvm_gid" ]; then
    chroot "$ROOT" groupmod -g "$kvm_gid" kvm || log "warning: cannot give the root's kvm group gid $kvm_gid"
  fi
fi

# swtpm_localca, which signs a new TPM's endorsement key, runs as the root's tss user and needs its folder and lock
# file (its package leaves them root-owned without a running init), as scripts/libvirt-up.sh does on the host.
chroot "$ROOT" sh -c 'if [ -d /var/lib/swtpm-localca ] && getent passwd tss >/dev/null; then
  chown -R tss:root /var/lib/swtpm-localca && chmod 0750 /var/lib/swtpm-localca; fi' \
  || log "warning: cannot give the root's swtpm-localca folder to tss (TPM domains will not start there)"

# --- daemons -------------------------------------------------------------------------------------------------------
mkdir -p "$RUN/libvirt"
# (Without the lock's descriptor: the daemons outlive this script.)
in_root() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C chroot "$ROOT" "$@" 9>&-; }
if ! alive "$RUN/virtlogd.pid"; then
  log "starting virtlogd in the root"
  in_root virtlogd -d || die "virtlogd did not start"
fi
if ! alive "$RUN/libvirtd.pid"; then
  # Under the host's tini as a child subreaper, as scripts/libvirt-up.sh does for the host's libvirtd: the QEMUs this
  # libvirtd daemonizes are reaped the moment they exit instead of when this machine's PID 1 gets to them (1.4 s late
  # here), which every destroy waits for.
  if command -v tini >/dev/null; then
    log "starting libvirtd in the root (under tini -s)"
    setsid tini -s -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C chroot "$ROOT" libvirtd \
      </dev/null >/dev/null 2>&1 9>&- &
  else
    log "starting libvirtd in the root"
    in_root libvirtd -d || die "libvirtd did not start (see $ROOT/var/log/libvirt)"
  fi
fi

# The host's virsh is a client like any other: wait until the socket answers, then until an answer is quick.
deadline=$((SECONDS + 120))
until virsh -c "$URI" version >/dev/null 2>&1; do
  [ $SECONDS -lt $deadline ] || die "$URI does not answer: $(virsh -c "$URI" version 2>&1 | tail -1)"
  sleep 0.5
done
for _ in 1 2 3 4 5 6 7 8 9 10; do
  start=$(date +%s%N)
  virsh -c "$URI" version >/dev/null
  ms=$((($(date +%s%N) - start) / 1000000))
  [ "$ms" -lt 1000 ] && break
  log "virsh version took ${ms} ms, waiting for the capabilities cache"
  sleep 1
done
log "second libvirt is up: $(virsh -c "$URI" version --daemon 2>/dev/null | grep -E 'Running' | tr '\n' ' ')"
echo "$URI"
