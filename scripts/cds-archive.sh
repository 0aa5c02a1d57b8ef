#!/usr/bin/env bash
# Makes what ./esm uses to start faster, next to esm.jar (run by the esm-cli build at package time; safe to run
# by hand): a class-data-sharing archive (esm.jsa) of the classes a command loads, and JNA's native stub unpacked
# (jna/), so that JNA does not extract it to a temporary file on every start. Best effort: when something is missing
# it says so and exits 0, and ./esm runs without them.
#   usage: scripts/cds-archive.sh [TARGET_DIR]   (default: esm-cli/target)
set -uo pipefail
here="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
target="$(cd "${1:-$here/esm-cli/target}" && pwd)"
jar="$target/esm.jar"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
[ -f "$jar" ] || { echo "cds-archive: no $jar; build first" >&2; exit 0; }

case "$(uname -m)" in
  x86_64) arch=linux-x86-64 ;;
  aarch64) arch=linux-aarch64 ;;
  *) arch="" ;;
esac
rm -rf "$target/jna"
if [ -n "$arch" ]; then
  mkdir -p "$target/jna"
  (cd "$target/jna" && "${JAVA_HOME:+$JAVA_HOME/bin/}jar" xf "$jar" "com/sun/jna/$arch/libjnidispatch.so" 2>/dev/null \
    && mv "com/sun/jna/$arch/libjnidispatch.so" . && rm -rf com && touch libjnidispatch.so) || { echo "cds-archive: JNA stub not unpacked" >&2; rm -rf "$target/jna"; }
fi

rm -f "$target/esm.jsa" "$target/esm.classlist"
# The static archive (-Xshare:dump) rather than -XX:ArchiveClassesAtExit: picocli's classes are Java 5 class files,
# which JDK 17's dynamic archive leaves out, and picocli's start-up is the largest part of esm's.
"$java" -Xshare:auto -XX:DumpLoadedClassList="$target/esm.classlist" -Dorg.slf4j.simpleLogger.defaultLogLevel=off \
  -cp "$jar" dev.esm.cli.CdsTraining >/dev/null 2>&1
if [ ! -s "$target/esm.classlist" ]; then
  echo "cds-archive: the training run made no class list; no archive" >&2; exit 0
fi
if "$java" -Xshare:dump -XX:SharedClassListFile="$target/esm.classlist" -XX:SharedArchiveFile="$target/esm.jsa" \
    -cp "$jar" >"$target/esm.jsa.log" 2>&1; then
  echo "cds-archive: $target/esm.jsa ($(du -h "$target/esm.jsa" | cut -f1))" >&2
else
  echo "cds-archive: -Xshare:dump failed (see $target/esm.jsa.log); no archive" >&2
  rm -f "$target/esm.jsa"
fi
exit 0
