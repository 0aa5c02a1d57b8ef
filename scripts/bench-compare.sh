#!/usr/bin/env bash
# Before and after: runs the benchmark of two builds of ESM in turn (A B, B A, A B, ...), against the same libvirtd,
# so that a load that comes and goes weighs on both alike, and compares the medians row by row.
#
#   scripts/bench-compare.sh A B [rounds]
#
# A and B are each a commit (checked out detached into $BENCH_COMPARE_DIR/<commit>, default
# /var/tmp/esm-bench-compare, and kept for the next time) or the folder of a checkout, used as it is. Each is built
# there with `package` only, offline, without tests, and never installed, so ~/.m2 is left alone; the benchmark runs
# from that build's own jars (esm-bench, or esm-examples for commits from before esm-bench existed). Sizes go in
# BENCH_OPTS, by default the in-process rows: -Desm.bench.sections=ops,chain,model -Desm.bench.runs=7
# -Desm.bench.chains=1,50,200 (5 rounds of each). Raw output (a text table and JSON per run) and the comparison
# (compare.md) go to $BENCH_COMPARE_OUT, by default esm-bench/target/bench-compare. Speed is reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[ $# -ge 2 ] || { echo "usage: $0 A B [rounds]   (A, B: a commit or a checkout's folder)" >&2; exit 2; }
rounds=${3:-5}
opts=${BENCH_OPTS:--Desm.bench.sections=ops,chain,model -Desm.bench.runs=7 -Desm.bench.chains=1,50,200}
work=${BENCH_COMPARE_DIR:-/var/tmp/esm-bench-compare}
out=${BENCH_COMPARE_OUT:-$root/esm-bench/target/bench-compare}
mkdir -p "$out"
bash scripts/libvirt-up.sh

# checkout <commit or folder>: prints the folder to build and run in
checkout() {
  if [ -d "$1" ]; then (cd "$1" && pwd); return; fi
  local c; c=$(git rev-parse --short=12 "$1^{commit}")
  [ -d "$work/$c" ] || { mkdir -p "$work"; git worktree add -q --detach "$work/$c" "$c" >&2; }
  echo "$work/$c"
}
# module <folder>: the module the benchmark lives in there
module() { if [ -d "$1/esm-bench" ]; then echo esm-bench; else echo esm-examples; fi; }

declare -A dir label
for side in A B; do
  src=$([ $side = A ] && echo "$1" || echo "$2")
  dir[$side]=$(checkout "$src")
  label[$side]="$src ($(git -C "${dir[$side]}" rev-parse --short HEAD)$(git -C "${dir[$side]}" diff --quiet HEAD || echo ', with changes'))"
  echo "[bench-compare] building $side: ${label[$side]} in ${dir[$side]}" >&2
  (cd "${dir[$side]}" && ./mvnw -B -ntp -o -q -DskipTests package -pl "$(module "${dir[$side]}")" -am)
done
{ echo "A: ${label[A]}"; echo "B: ${label[B]}"; echo "BENCH_OPTS: $opts"; echo "rounds: $rounds"
  echo "machine: $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1)"; } > "$out/runs.txt"

run() { # run <side> <round>
  local d=${dir[$1]} m; m=$(module "${dir[$1]}")
  echo "[bench-compare] round $2, $1: $(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/runs.txt" >&2
  # shellcheck disable=SC2086
  (cd "$d" && java $opts -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$m/target/classes:$m/target/lib/*" \
    dev.esm.bench.Benchmark --json="$out/$1-$2.json") > "$out/$1-$2.txt" 2>&1
}
for ((i = 1; i <= rounds; i++)); do
  if ((i % 2)); then run A "$i"; run B "$i"; else run B "$i"; run A "$i"; fi
done

# Each row's median over the rounds' medians, for A and B; the spread is the rounds' (max - min) / median. As A and B
# of one round ran next to each other, the per-round ratios B/A (their median and range) see the same load; a row is
# marked when B was slower (or faster) in every round, or when its ratio is beyond the spread of both sides.
python3 - "$out" "$rounds" > "$out/compare.md" <<'EOF'
import sys, statistics as st
out, rounds = sys.argv[1], int(sys.argv[2])
rows, order = {}, []
for side in "AB":
    for i in range(1, rounds + 1):
        for line in open(f"{out}/{side}-{i}.txt"):
            f = line.split()
            if len(f) < 10 or not f[3].isdigit() or not f[5].isdigit():
                continue
            key = tuple(f[:6])
            if key not in rows:
                rows[key] = {"A": {}, "B": {}}
                order.append(key)
            rows[key][side][i] = float(f[7])
print("| section | operation | variant | disks | mode | chain | A ms | B ms | B/A | spread A | spread B"
      " | per-round B/A | |")
print("| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
for key in order:
    a, b = list(rows[key]["A"].values()), list(rows[key]["B"].values())
    if not a or not b:
        print("| " + " | ".join(key) + " | " + ("%.1f" % st.median(a) if a else "-") + " | "
              + ("%.1f" % st.median(b) if b else "-") + " | | | | | one side only |")
        continue
    ma, mb = st.median(a), st.median(b)
    sa = (max(a) - min(a)) / ma if ma else 0
    sb = (max(b) - min(b)) / mb if mb else 0
    ratio = mb / ma if ma else float("nan")
    paired = [rows[key]["B"][i] / rows[key]["A"][i] for i in rows[key]["A"]
              if i in rows[key]["B"] and rows[key]["A"][i] > 0]
    per = f"{st.median(paired):.2f} ({min(paired):.2f}-{max(paired):.2f})" if paired else ""
    flags = []
    if len(paired) > 1 and all(p > 1 for p in paired):
        flags.append("B slower every round")
    if len(paired) > 1 and all(p < 1 for p in paired):
        flags.append("B faster every round")
    if abs(ratio - 1) > max(sa, sb):
        flags.append("beyond spread")
    print("| " + " | ".join(key) + f" | {ma:.1f} | {mb:.1f} | {ratio:.2f} | {sa:.0%} | {sb:.0%} | {per} | "
          + "; ".join(flags) + " |")
EOF
cat "$out/runs.txt" "$out/compare.md"
