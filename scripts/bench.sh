#!/usr/bin/env bash
# The benchmark: ESM in-process against the libvirt floor, the virsh process chain and internal snapshots, merge
# throughput and chain length, on throwaway TCG domains. Prints a table, writes esm-bench/target/benchmark.json.
# Pass --smoke for a quick pass; -Desm.bench.runs / -Desm.bench.chains / -Desm.bench.memorySizes (MiB, default
# 64,256,1024) in BENCH_OPTS to change the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/libvirt-up.sh
./mvnw -B -ntp -q -DskipTests install
exec java ${BENCH_OPTS:-} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "esm-bench/target/classes:esm-bench/target/lib/*" dev.esm.bench.Benchmark "$@"
