#!/usr/bin/env bash
# `mpirun -np N gradlab sweep` (docs/distributed.md), run by ctest when MPI is found:
#   1. the result file of 2 and 3 ranks is byte-identical to one process's, in CSV and JSON Lines (and
#      for a sweep of recurrent networks, and of a training sweep, --train, on 2 ranks);
#   2. a rank killed mid-sweep leaves the finished results in the file and a non-zero exit; --resume
#      on another number of ranks finishes it, and the file is again the one-process file;
#   3. commands that do not split their work, a sweep without --out, with --report or reading standard
#      input are refused under mpirun (exit status 2, one message, from rank 0).
# Usage: mpi_sweep_test.sh GRADLAB MPIEXEC WORKDIR
set -euo pipefail
gradlab=$1 mpiexec=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
# CI runs as root, which Open MPI refuses unless told; --oversubscribe runs 3 ranks on 2 cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi() { "$mpiexec" --oversubscribe -np "$1" "${@:2}"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

grid=(--depth 2,3,6,12 --width 16,32 --activation relu,tanh --skip none,residual,concat --trials 2 --seed 5)
for ext in csv jsonl; do
  "$gradlab" sweep "${grid[@]}" --workers 2 --out one.$ext >/dev/null
  mpi 2 "$gradlab" sweep "${grid[@]}" --workers 1 --out two.$ext >/dev/null
  mpi 3 "$gradlab" sweep "${grid[@]}" --workers 1 --out three.$ext >/dev/null
  cmp one.$ext two.$ext || fail "2 ranks wrote another $ext file than one process"
  cmp one.$ext three.$ext || fail "3 ranks wrote another $ext file than one process"
done
[[ $(wc -l <one.csv) -eq 97 ]] || fail "expected a header and 96 results in one.csv"

# Recurrent networks (sweep --cell): shared by expected_cost's T x layers x units^2 x gates, the same file.
rnn=(--cell simple_rnn,lstm,gru --time-steps 4,30 --layers 1,2 --units 8 --batch 4 --trials 2 --seed 3)
"$gradlab" sweep "${rnn[@]}" --workers 2 --out rnn_one.csv >/dev/null
mpi 2 "$gradlab" sweep "${rnn[@]}" --workers 1 --out rnn_two.csv >/dev/null
cmp rnn_one.csv rnn_two.csv || fail "2 ranks wrote another recurrent sweep file than one process"
[[ $(wc -l <rnn_one.csv) -eq 25 ]] || fail "expected a header and 24 results in rnn_one.csv"

# A training sweep (--train, docs/distributed.md): the cost model weighs training (steps x depth x
# width^2), and the file is the same bytes for 1 and 2 ranks. Ordered-phase variances keep the
# theory's xi_c cheap (near the critical line on the chaotic side it takes seconds per point).
train=(--train --depth 2,5 --width 8 --batch 4 --activation tanh --sigma-w2 0.8,1.4 --sigma-b2 0.05 --seed 4
       --steps 15 --train-batch 16 --train-examples 200 --test-examples 100)
"$gradlab" sweep "${train[@]}" --workers 2 --out train_one.csv >/dev/null
mpi 2 "$gradlab" sweep "${train[@]}" --workers 1 --out train_two.csv >/dev/null
cmp train_one.csv train_two.csv || fail "2 ranks wrote another --train file than one process"
[[ $(wc -l <train_one.csv) -eq 5 ]] || fail "expected a header and 4 results in train_one.csv"

# A sweep long enough to kill a rank in the middle of it.
long=(--depth 24 --width 96 --batch 64 --activation tanh --trials 300 --seed 9)
"$gradlab" sweep "${long[@]}" --out reference.csv >/dev/null
mpi 2 "$gradlab" sweep "${long[@]}" --workers 1 --out killed.csv >/dev/null 2>killed.err &
launcher=$!
victim=""
for _ in $(seq 1 600); do
  if [[ -f killed.csv && $(wc -l <killed.csv) -gt 20 ]]; then
    for pid in $(pgrep -x gradlab || true); do
      if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then victim=$pid; fi
    done
    [[ -n $victim ]] && break
  fi
  sleep 0.05
done
[[ -n $victim ]] || fail "did not find rank 1 of the running sweep to kill"
kill -9 "$victim"
status=0
wait "$launcher" || status=$?
((status != 0)) || fail "the launcher exited 0 after a rank was killed"
done_lines=$(($(wc -l <killed.csv) - 1))  # complete lines after the header
((done_lines > 0 && done_lines < 300)) || fail "expected some but not all results kept after the kill, found $done_lines"
mpi 3 "$gradlab" sweep "${long[@]}" --workers 1 --out killed.csv --resume >/dev/null
cmp reference.csv killed.csv || fail "the resumed file differs from the one-process file"

# Refusals: exit status 2 and one message from rank 0.
status=0
mpi 2 "$gradlab" probe --depth 3 >/dev/null 2>probe.err || status=$?
((status == 2)) && grep -q "only sweep, train and report split their work" probe.err || fail "probe under mpirun was not refused: $(cat probe.err)"
status=0
mpi 2 "$gradlab" sweep --depth 2,3 >/dev/null 2>noout.err || status=$?
((status == 2)) && grep -q "give --out" noout.err || fail "a sweep without --out under mpirun was not refused: $(cat noout.err)"
[[ $(grep -c "give --out" noout.err) -eq 1 ]] || fail "the refusal was printed by more than rank 0"
status=0
mpi 2 "$gradlab" sweep --depth 2,3 --out r.csv --report r.html >/dev/null 2>report.err || status=$?
((status == 2)) && grep -q -- "--report charts every configuration" report.err || fail "--report under mpirun was not refused: $(cat report.err)"
status=0
echo '{"depth": [2, 3]}' >grid.json
mpi 2 "$gradlab" sweep --grid - --out s.csv <grid.json >/dev/null 2>stdin.err || status=$?
((status == 2)) && grep -q "standard input reaches only rank 0" stdin.err || fail "--grid - under mpirun was not refused: $(cat stdin.err)"
echo "mpi sweep: identical files for 1, 2 and 3 ranks; resumed after a killed rank; refusals clear"
