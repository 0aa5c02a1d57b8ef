#!/usr/bin/env bash
# The whole test suite: unit and property tests (Surefire), then integration tests against the real libvirtd
# (Failsafe), then a separate consumer project built against the installed artifacts. Installs and starts
# libvirt and QEMU first when they are missing. Integration tests fail, never
# skip, when libvirt cannot be reached.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/libvirt-up.sh
# install (which runs verify first) so that the consumer project below sees the published artifacts.
./mvnw -B -ntp install "$@"
# A user's project that knows ESM only through the installed BOM and jars: a broken POM fails here.
./mvnw -B -ntp -f tests/consumer/pom.xml verify
