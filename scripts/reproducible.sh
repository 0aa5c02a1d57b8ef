#!/usr/bin/env bash
# Reproducible builds: builds the project twice from clean, in two scratch copies of the work tree (so the path does
# not matter either), offline, and compares every jar the build makes (classes, sources, javadoc, test jars, the
# tool's jar) by SHA-256. Exits 1 and names the jars that differ. Needs the plugins and dependencies in the local
# repository already (scripts/test.sh runs it after './mvnw install'). Installs nothing.
#
# --against-tree: build once in a scratch copy and compare with the jars in this work tree's target folders, which
# must come from a clean build of the same sources (scripts/test.sh: 'clean install' just before). Half the time.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d /tmp/esm-repro.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
start=$SECONDS
runs="a b"
if [ "${1:-}" = "--against-tree" ]; then
  runs="b"
  find . -mindepth 3 -maxdepth 3 -path './*/target/*.jar' -not -path './tests/*' -print0 | sort -z \
      | xargs -0 sha256sum >"$scratch/a.sha256"
fi
for run in $runs; do
  mkdir -p "$scratch/$run"
  # The work tree as git sees it (tracked and new files, nothing ignored such as target/).
  git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$scratch/$run" 2>/dev/null || true
  # As a release builds (-Prelease; -Dgpg.skip: signatures are not jars). -Dmaven.antrun.skip: the tool's
  # class-data-sharing archive is not a jar and takes a training run to make.
  (cd "$scratch/$run" && ./mvnw -B -ntp -o -q clean package -Prelease -Dgpg.skip -DskipTests -Dmaven.antrun.skip=true \
      -Denforcer.skip=true >"$scratch/$run.log" 2>&1) || { cat "$scratch/$run.log"; echo "reproducible: build $run failed"; exit 1; }
  (cd "$scratch/$run" && find . -mindepth 3 -maxdepth 3 -path './*/target/*.jar' -not -path './tests/*' -print0 \
      | sort -z | xargs -0 sha256sum) >"$scratch/$run.sha256"
done
count=$(wc -l <"$scratch/a.sha256")
if [ "$count" -eq 0 ]; then echo "reproducible: no jar was built"; exit 1; fi
if ! diff "$scratch/a.sha256" "$scratch/b.sha256"; then
  echo "reproducible: the jars above differ between two builds of the same sources"
  exit 1
fi
if [ "$runs" = "b" ]; then
  echo "reproducible: $count jars identical in this tree's build and a clean offline build elsewhere ($((SECONDS - start)) s)"
else
  echo "reproducible: $count jars identical in two clean builds ($((SECONDS - start)) s)"
fi
