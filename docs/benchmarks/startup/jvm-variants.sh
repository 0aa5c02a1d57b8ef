#!/usr/bin/env bash
# The JVM variants of docs/benchmarks.md "The JVM's start-up floor", round by round, order rotating, wall time
# medians. Run from the repository root after the build, on a domain made by MakeTree.java:
#   java -cp "esm-bench/target/classes:esm-bench/target/lib/*" docs/benchmarks/startup/MakeTree.java 1000
#   docs/benchmarks/startup/jvm-variants.sh DOMAIN ROUNDS [URI]      (over qemu+ssh: inside ns.sh)
# Variants: the shipped launcher (JDK 17, esm.jsa), and by ESM_JAVA_OPTS a tree-only CDS archive and a JDK 25 AOT
# cache, made by hand first (D: a domain; J25: a JDK 25 java):
#   ESM_JAVA_OPTS="-Xshare:off -XX:DumpLoadedClassList=/tmp/s2/tree.classlist" ./esm tree D
#   java -Xshare:dump -XX:SharedClassListFile=/tmp/s2/tree.classlist -XX:SharedArchiveFile=/tmp/s2/tree.jsa \
#     -cp "$PWD/esm-cli/target/esm.jar"
#   $J25 -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:AOTMode=record -XX:AOTConfiguration=/tmp/s2/tree.aotconf \
#     --enable-native-access=ALL-UNNAMED -Djna.boot.library.path=esm-cli/target/jna -jar esm-cli/target/esm.jar tree D
#   $J25 -XX:AOTMode=create -XX:AOTConfiguration=/tmp/s2/tree.aotconf -XX:AOTCache=/tmp/s2/tree.aot \
#     -XX:+UseSerialGC -cp esm-cli/target/esm.jar
# and virsh snapshot-list --tree.
d=$1; n=$2; uri=${3:-qemu:///system}
J25=${J25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
sides=(esm17 treejsa aot25 virsh)
run() { case $1 in
  esm17) ./esm --uri="$uri" tree "$d" ;;
  treejsa) ESM_JAVA_OPTS="-XX:SharedArchiveFile=/tmp/s2/tree.jsa" ./esm --uri="$uri" tree "$d" ;;
  aot25) "$J25" -XX:+UseSerialGC -XX:-UsePerfData -XX:TieredStopAtLevel=1 -XX:AOTCache=/tmp/s2/tree.aot \
      --enable-native-access=ALL-UNNAMED -Djna.boot.library.path=esm-cli/target/jna -jar esm-cli/target/esm.jar \
      --uri="$uri" tree "$d" ;;
  virsh) virsh -c "$uri" snapshot-list --tree "$d" ;;
esac >/dev/null 2>&1; }
for s in "${sides[@]}"; do run "$s"; done
for ((r = 0; r < n; r++)); do
  for ((k = 0; k < ${#sides[@]}; k++)); do s=${sides[$(((r + k) % ${#sides[@]}))]}
    t0=$(date +%s%N); run "$s"; t1=$(date +%s%N); echo "$s $(((t1 - t0) / 1000000))"
  done
done | awk '{a[$1]=a[$1]" "$2} END{for(s in a) print s":"a[s]}' | while IFS=: read -r s v; do
  echo "$s median $(echo $v | tr ' ' '\n' | sort -n | awk '{x[NR]=$1} END{print x[int((NR+1)/2)]}') ms [$v ]"
done
