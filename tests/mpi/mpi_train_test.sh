#!/usr/bin/env bash
# `mpirun -np N gradlab train` (docs/distributed.md, "Data-parallel training"), run by ctest when MPI
# is found, on the first 2000 Fashion-MNIST examples with dropout:
#   1. one rank under mpirun writes the one-process weights file byte for byte;
#   2. two ranks write the same weights file run after run, and only rank 0 writes files;
#   3. two and three ranks match one process within the stated tolerance;
#   4. a run checkpointed after one epoch and resumed on 2 ranks ends with the uninterrupted 2-rank
#      run's weights, byte for byte;
#   5. a spec on standard input is refused (exit status 2, one message, from rank 0).
# Usage: mpi_train_test.sh GRADLAB MPIEXEC WORKDIR
set -euo pipefail
gradlab=$1 mpiexec=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi() { "$mpiexec" --oversubscribe -np "$1" "${@:2}"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

cat >mlp.json <<'SPEC'
{"name": "mpi_mlp", "inputs": {"images": [784]},
 "layers": [
   {"name": "dense_1", "type": "dense", "units": 64, "activation": "relu", "kernel_initializer": "he_uniform"},
   {"name": "dropout_1", "type": "dropout", "rate": 0.2},
   {"name": "dense_2", "type": "dense", "units": 10}
 ]}
SPEC
run=(--model mlp.json --limit 2000 --batch-size 64 --seed 3 --validation-split 0.1)

"$gradlab" train "${run[@]}" --epochs 2 --weights-out alone.safetensors --history alone.json >/dev/null 2>&1
mpi 1 "$gradlab" train "${run[@]}" --epochs 2 --weights-out one.safetensors >/dev/null 2>&1
cmp alone.safetensors one.safetensors || fail "one rank under mpirun trained other weights than one process"

mpi 2 "$gradlab" train "${run[@]}" --epochs 2 --weights-out two.safetensors --history two.json >two.out 2>two.err
mpi 2 "$gradlab" train "${run[@]}" --epochs 2 --weights-out two_again.safetensors >/dev/null 2>&1
cmp two.safetensors two_again.safetensors || fail "two ranks trained other weights on a rerun"
[[ $(grep -c "^test: loss" two.out) -eq 1 ]] || fail "expected one summary (rank 0's), got: $(cat two.out)"
[[ $(grep -c "gradlab train: " two.err) -eq 1 ]] || fail "expected one status line (rank 0's), got: $(cat two.err)"
mpi 3 "$gradlab" train "${run[@]}" --epochs 2 --weights-out three.safetensors --history three.json >/dev/null 2>&1

# 2 epochs of Adam (58 steps) in float32: the ranks' sums differ from one process's only in order.
# Measured when this test was written: weights at most 8.3e-7 apart (3 ranks), losses 4.8e-8 apart
# relative; the tolerances, 1e-4 and 1e-5, are over 100 times that. A share weighted wrongly moves
# the weights by about the learning rate (1e-3) per step.
python3 - <<'PY' || fail "2 or 3 ranks did not match one process within the tolerance"
import array, json, struct, sys
def weights(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__": continue
        a, b = t["data_offsets"]
        out[name] = array.array("f", data[a:b])
    return out
def losses(path):
    h = json.load(open(path))
    return [e for e in h["loss"]] + [e for e in h["val_loss"]]
alone, alone_losses = weights("alone.safetensors"), losses("alone.json")
ok = True
for ranks in ("two", "three"):
    w = weights(ranks + ".safetensors")
    worst = max(abs(x - y) for k in alone for x, y in zip(w[k], alone[k]))
    loss_gap = max(abs(a - b) / abs(b) for a, b in zip(losses(ranks + ".json"), alone_losses))
    print(f"{ranks} ranks: largest weight difference {worst:.3g}, largest relative loss difference {loss_gap:.3g}")
    ok = ok and worst < 1e-4 and loss_gap < 1e-5
sys.exit(0 if ok else 1)
PY

# Stopped after one epoch (its checkpoint) and resumed for the second, on 2 ranks.
mpi 2 "$gradlab" train "${run[@]}" --epochs 1 --checkpoint ck.safetensors >/dev/null 2>&1
ls ck.safetensors* | grep -qv '^ck.safetensors$' && fail "a temporary checkpoint file was left: $(ls)"
mpi 2 "$gradlab" train "${run[@]}" --epochs 2 --checkpoint ck.safetensors --resume --weights-out resumed.safetensors >/dev/null 2>&1
cmp two.safetensors resumed.safetensors || fail "the resumed 2-rank run ended with other weights than the uninterrupted one"
# The spec on standard input reaches only rank 0: refused, with one message, exit status 2.
status=0
mpi 2 "$gradlab" train --model - --limit 100 --epochs 1 <mlp.json >/dev/null 2>stdin.err || status=$?
((status == 2)) && [[ $(grep -c "standard input reaches only rank 0" stdin.err) -eq 1 ]] ||
  fail "train --model - under mpirun was not refused once with status 2: $status $(cat stdin.err)"
echo "mpi_train: all checks passed"
