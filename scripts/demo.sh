#!/usr/bin/env bash
# The main job: installs libvirt and QEMU if missing, builds ESM, then walks a throwaway domain through the
# snapshot lifecycle, printing the tree after each step, and removes everything it made.
# By default it uses libvirt's in-process QEMU driver (qemu:///embed), so no daemon is needed; pass a URI
# (e.g. qemu:///system) to use a daemon instead.
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
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "esm-examples/target/classes:esm-examples/target/lib/*" dev.esm.examples.Demo "$uri"
