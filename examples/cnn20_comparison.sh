#!/usr/bin/env bash
# Plain against residual 20-layer CNNs on Fashion-MNIST images (issue 18, item 6; docs/training.md,
# "A 20-layer CNN, plain and residual"): the four specs examples/specs/cnn20_{plain,identity}_{batch,group}.json
# (lab/conv_network.h: 20 blocks of Conv2D(16, 3x3, same), He's uniform initializer, batch or group
# normalization, no skip or an identity shortcut x + F(x)), each trained on the same small budget with
# several seeds. Prints per arm the mean and range over the seeds of the test accuracy, the training
# accuracy (the epoch's batches in training mode, as Keras reports it), the first convolution's gradient
# norm at initialization (the step-0 sample: the first batch, before any update) and its ratio to the
# last convolution's.
#
#   examples/cnn20_comparison.sh [OUT_DIR]      (environment: GRADLAB, SEEDS, LIMIT, EPOCHS)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gradlab=${GRADLAB:-$root/build/gradlab}
out=${1:-cnn20_runs}
seeds=${SEEDS:-"1 2 3"}
limit=${LIMIT:-1000}
epochs=${EPOCHS:-1}
mkdir -p "$out"
for seed in $seeds; do
  for arm in plain_batch identity_batch plain_group identity_group; do
    run=$out/${arm}_seed$seed
    [ -s "$run.json" ] && continue
    # --sample-every larger than the run's steps samples step 0 only: the gradients at initialization.
    nice -n 10 "$gradlab" train --model "$root/examples/specs/cnn20_$arm.json" --data fashion-mnist-images \
      --limit "$limit" --epochs "$epochs" --batch-size 32 --optimizer adam --lr 1e-3 --seed "$seed" \
      --sample-every 1000000 --history "$run.history.json" --json > "$run.tmp"
    mv "$run.tmp" "$run.json"
  done
done
python3 - "$out" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
arms = {}
for path in sorted(glob.glob(os.path.join(out, "*_seed*.json"))):
    if path.endswith(".history.json"):
        continue
    arm = os.path.basename(path).rsplit("_seed", 1)[0]
    summary = json.load(open(path))
    history = json.load(open(path[:-len(".json")] + ".history.json"))
    grads = {l["layer"]: l["grad_norm"] for l in history["samples"][0]["layers"]}
    arms.setdefault(arm, []).append({"test accuracy": summary["test"]["accuracy"],
                                     "training accuracy": summary["history"]["accuracy"][-1],
                                     "conv1 grad norm at init": grads["conv1"],
                                     "conv1 / conv20 at init": grads["conv1"] / grads["conv20"]})
def spread(values):
    return f"{statistics.mean(values):.3g} ({min(values):.3g}-{max(values):.3g})"
columns = ["test accuracy", "training accuracy", "conv1 grad norm at init", "conv1 / conv20 at init"]
print("mean (min-max) over the seeds")
print(f"{'arm':<15} {'seeds':>5}  " + "  ".join(f"{c:<26}" for c in columns))
for arm in ["plain_batch", "identity_batch", "plain_group", "identity_group"]:
    if arm in arms:
        runs = arms[arm]
        print(f"{arm:<15} {len(runs):>5}  " + "  ".join(f"{spread([r[c] for r in runs]):<26}" for c in columns))
PY
