#!/usr/bin/env bash
# The whole test suite: unit and property tests (Surefire), then integration tests against the real libvirtd
# (Failsafe; the *RemoteIT ones over qemu+ssh with the images hidden from the client), then a separate
# consumer project built against the installed artifacts. Installs and starts libvirt and QEMU, and the
# remote ITs' sshd, first when they are missing. Integration tests fail, never skip, when libvirt or ssh
# cannot be reached.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/libvirt-up.sh
# The remote ITs' host: an sshd on 127.0.0.1:2222 with a key made for the run (esm-libvirt's remote-it execution).
bash scripts/remote-up.sh >/dev/null
# install (which runs verify first) so that the consumer project below sees the published artifacts. With the release
# profile (sources, javadoc, signing, Central staging; -Dgpg.skip as there is no key here, and nothing is deployed):
# so this also checks that './mvnw -Prelease verify -Dgpg.skip' passes. From clean, for the check after it.
./mvnw -B -ntp clean install -Prelease -Dgpg.skip "$@"
# Reproducible builds: one more clean build, offline in a scratch copy, gives jars identical to the ones just built.
bash scripts/reproducible.sh --against-tree
# A user's project that knows ESM only through the installed BOM and jars: a broken POM fails here.
./mvnw -B -ntp -f tests/consumer/pom.xml verify
