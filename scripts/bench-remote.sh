#!/usr/bin/env bash
# The image-access benchmark: create, revert, refresh and an offline merge through one libvirtd, with images as
# local files, through libvirt's storage API on the local URI, and through the storage API over qemu+ssh to the
# same daemon (the run's sshd on 127.0.0.1:2222, scripts/remote-up.sh). Connection set-up is not timed.
# Writes esm-bench/target/benchmark-remote.json. Pass --smoke for a quick pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/libvirt-up.sh
uri=$(bash scripts/remote-up.sh | tail -1)
./mvnw -B -ntp -q -DskipTests install
# libvirt's ssh transport runs ssh, which reads /root/.ssh: the run's client folder is bind-mounted there in a
# private mount namespace, so nothing of the user's own ssh set-up is touched.
exec unshare --mount --propagation private sh -c 'mount --bind /run/esm-remote-ssh/client /root/.ssh && exec "$@"' \
  bench java ${BENCH_OPTS:-} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "esm-bench/target/classes:esm-bench/target/lib/*" dev.esm.bench.RemoteBenchmark \
  --remote="$uri" "$@"
