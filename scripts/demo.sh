#!/usr/bin/env bash
# The main job: installs and starts libvirt and QEMU if missing, builds ESM, then walks a throwaway domain
# through the snapshot lifecycle, printing the tree after each step, and removes everything it made.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/libvirt-up.sh
./mvnw -B -ntp -q -DskipTests install
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "esm-examples/target/classes:esm-examples/target/lib/*" dev.esm.examples.Demo "$@"
