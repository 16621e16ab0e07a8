#!/usr/bin/env bash
# Sweep throughput on 1 and 2 MPI ranks (issue 20's scaling figure; docs/distributed.md): the same
# sweep of 2048 configurations run alone on one worker, alone on two workers, and under
# `mpirun -np 2` with one worker per rank (Open MPI's default transports, and TCP only), alternating over --rounds rounds; prints the median
# configurations per second of each, the ratios, the median seconds per configuration and the mean
# bytes per result line (the message a rank sends rank 0), the inputs of the projection in
# docs/distributed.md.
# Usage: bench/mpi_sweep.sh [GRADLAB] [--rounds 5]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gradlab=${1:-$root/build/gradlab}
rounds=5
[[ ${2:-} == --rounds ]] && rounds=${3:?--rounds needs a number}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grid=(--depth 8,16,32,64 --width 64,128 --activation relu,tanh --skip none,residual --trials 64 --seed 1)

seconds() {  # seconds of one run of "$@" writing $work/out.jsonl
  rm -f "$work/out.jsonl"
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {print b - a}'
}

declare -a alone1 alone2 ranks2 tcp2
for ((r = 0; r < rounds; ++r)); do
  alone1+=("$(seconds "$gradlab" sweep "${grid[@]}" --workers 1 --out "$work/out.jsonl")")
  alone2+=("$(seconds "$gradlab" sweep "${grid[@]}" --workers 2 --out "$work/out.jsonl")")
  ranks2+=("$(seconds mpirun -np 2 "$gradlab" sweep "${grid[@]}" --workers 1 --out "$work/out.jsonl")")
  tcp2+=("$(seconds mpirun -np 2 --mca btl self,tcp "$gradlab" sweep "${grid[@]}" --workers 1 --out "$work/out.jsonl")")
done
configs=$(($(wc -l <"$work/out.jsonl")))
bytes=$(($(wc -c <"$work/out.jsonl") / configs))
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
m1=$(median "${alone1[@]}") m2=$(median "${alone2[@]}") mr=$(median "${ranks2[@]}") mt=$(median "${tcp2[@]}")
printf 'sweep of %d configurations, %d rounds, medians (CPU: %s)\n' "$configs" "$rounds" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
awk -v n="$configs" -v m1="$m1" -v m2="$m2" -v mr="$mr" -v mt="$mt" -v bytes="$bytes" 'BEGIN {
  printf "  1 process, 1 worker    %6.2f s  %7.1f configurations/s\n", m1, n / m1
  printf "  1 process, 2 workers   %6.2f s  %7.1f configurations/s  %.2fx\n", m2, n / m2, m1 / m2
  printf "  2 ranks, 1 worker each %6.2f s  %7.1f configurations/s  %.2fx\n", mr, n / mr, m1 / mr
  printf "  the same, TCP only     %6.2f s  %7.1f configurations/s  %.2fx\n", mt, n / mt, m1 / mt
  printf "  %.2f ms per configuration on one worker; %d bytes per result line\n", 1000 * m1 / n, bytes
}'
