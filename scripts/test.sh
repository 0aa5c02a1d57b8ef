#!/usr/bin/env bash
# The whole test suite: unit and property tests (Surefire), then integration tests against the real libvirtd
# (Failsafe). Installs and starts libvirt and QEMU first when they are missing. Integration tests fail, never
# skip, when libvirt cannot be reached.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/libvirt-up.sh
exec ./mvnw -B -ntp verify "$@"
