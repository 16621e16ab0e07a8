#!/usr/bin/env bash
# Peak memory of bench/conv_step.cc's CNN training step, gradlab against PyTorch, each in fresh
# processes (bench/conv_step_memory.cc, bench/torch/conv_step_memory.py); prints the median rise of
# the resident-set high-water mark over three steps and the ratio PyTorch / gradlab.
# Usage: bench/conv_step_memory.sh BUILD_DIR [repetitions] [threads]   (BUILD_DIR holds bench/conv_step_memory)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${1:?usage: bench/conv_step_memory.sh BUILD_DIR [repetitions] [threads]}"
reps="${2:-5}"
threads="${3:-2}"
export GRADLAB_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" OMP_WAIT_POLICY=PASSIVE
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
field() { sed -E 's/.*"step_peak_bytes": ([0-9-]+).*/\1/'; }
for case in batch_norm group_norm; do
  g=$(for _ in $(seq "$reps"); do "$build/bench/conv_step_memory" "$case" | field; done | median)
  t=$(for _ in $(seq "$reps"); do /usr/bin/python3 "$root/bench/torch/conv_step_memory.py" "$case" --threads "$threads" | field; done | median)
  awk -v c="$case" -v g="$g" -v t="$t" -v n="$reps" 'BEGIN {
    printf "%-11s gradlab %7.1f MiB   PyTorch %7.1f MiB   PyTorch/gradlab %.2fx   (median of %d fresh processes)\n",
           c, g / 1048576, t / 1048576, t / g, n }'
done
