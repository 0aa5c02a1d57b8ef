#!/usr/bin/env bash
# The main job: installs libvirt and QEMU if missing, builds ESM, then walks a throwaway domain through the
# snapshot lifecycle, printing the tree after each step, and removes everything it made.
# By default it uses libvirt's in-process QEMU driver (qemu:///embed), so no daemon is needed; pass a URI
# (e.g. qemu:///system) to use a daemon instead.
#
# What it prints is ESM's output alone: libvirt's own log lines (such as "warning : virSecurityValidateTimestamp:205 :
# Invalid XATTR timestamp detected on ...", which the in-process driver's security code writes when it gives an image
# back its owner) go to $ESM_DEMO_LIBVIRT_LOG (default /var/tmp/esm-demo-libvirt.log). LIBVIRT_LOG_OUTPUTS is not
# enough for that: libvirt runs that code in processes it forks, and a forked child logs to standard error whatever
# the parent was told. So every line of standard error in libvirt's log format ("<date> <time>+0000: <pid>: <level> :
# ...") is appended to the log, and every other line (ESM's own warnings and errors) still reaches the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
uri="${1:-}"
if [ -z "$uri" ]; then
  bash scripts/libvirt-up.sh --install-only
  root=/var/tmp/esm-embed
  mkdir -p "$root"
  uri="qemu:///embed?root=$root"
else
  bash scripts/libvirt-up.sh
fi
./mvnw -B -ntp -q -DskipTests install

log="${ESM_DEMO_LIBVIRT_LOG:-/var/tmp/esm-demo-libvirt.log}"
touch "$log"
before=$(wc -l < "$log")
# Standard error, line by line: libvirt's log lines (and the indented lines that continue one) to the log file, the
# rest to the terminal.
libvirt_lines_to_log() {
  local line in_libvirt=false
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ "$line" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:.]+[+-][0-9]{4}:\ [0-9]+:\ (debug|info|warning|error)\ :\  ]] \
        || { $in_libvirt && [[ "$line" == " "* ]]; }; then
      in_libvirt=true
      printf '%s\n' "$line" >> "$log"
    else
      in_libvirt=false
      printf '%s\n' "$line" >&2
    fi
  done
}
status=0
# The demo's standard output goes straight to the terminal (fd 3), its standard error through the filter.
{ java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "esm-examples/target/classes:esm-examples/target/lib/*" dev.esm.examples.Demo "$uri" 2>&1 1>&3 3>&- \
    | libvirt_lines_to_log; } 3>&1 || status=$?
added=$(( $(wc -l < "$log") - before ))
if [ "$added" -gt 0 ]; then
  echo "(libvirt's own log lines of this run, $added: $log)"
fi
exit "$status"
