#!/bin/bash
# usage: cmp.sh ROUNDS DOMAIN URI label1=cmd1 ... : interleaved, rotating order; wall and cpu (user+sys) medians
rounds=$1; d=$2; uri=$3; shift 3
declare -A t c
labels=()
for spec in "$@"; do labels+=("${spec%%=*}"); done
for ((r=0; r<rounds; r++)); do
  n=${#labels[@]}
  for ((k=0; k<n; k++)); do
    i=$(( (k + r) % n )); spec="${@:i+1:1}"; l="${spec%%=*}"; cm="${spec#*=}"
    if [ "$cm" = virsh ]; then cmd=(virsh -c "$uri" snapshot-list --tree "$d"); else cmd=($cm --uri="$uri" tree "$d"); fi
    /usr/bin/time -o /tmp/su/tm.txt -f "%e %U %S" "${cmd[@]}" >/dev/null 2>/tmp/su/err.txt || { echo "FAIL $l"; cat /tmp/su/err.txt; }
    read e u s < /tmp/su/tm.txt
    t[$l]="${t[$l]} $(awk -v e=$e 'BEGIN{printf "%d", e*1000}')"
    c[$l]="${c[$l]} $(awk -v u=$u -v s=$s 'BEGIN{printf "%d", (u+s)*1000}')"
  done
done
med() { echo $* | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for l in "${labels[@]}"; do
  echo "$l wall median $(med ${t[$l]}) ms cpu median $(med ${c[$l]}) ms | wall: ${t[$l]} | cpu: ${c[$l]}"
done
