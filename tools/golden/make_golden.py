#!/usr/bin/python3
"""Writes the golden reference cases under tests/golden/ from Debian's python3-torch.

Each case is a folder with spec.json, weights.safetensors, input.safetensors and expected.safetensors
(loss, output/<name>, grad/input/<name>, grad/<layer>/<variable>: what `gradlab gradients` writes).
ctest compares gradlab against them without needing torch. Regenerate with:

    /usr/bin/python3 tools/golden/make_golden.py
"""
import json
import math
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_io  # noqa: E402
import torch_model  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "golden")
BATCH = 5


def dense(name, units, activation="linear", **kw):
    return {"name": name, "type": "dense", "units": units, "activation": activation, **kw}


def lesson_net(kind, depth, width=32, activation="relu", features=128):
    """The lesson's plain, residual and concat-skip stacks, generalized to any depth."""
    layers, outs = [], ["x"]
    for i in range(1, depth + 1):
        name = f"d{i}"
        if kind == "plain" or i == 1:
            inputs = [outs[-1]]
        elif kind == "residual":
            if i >= 3:
                layers.append({"name": f"s{i}", "type": "add", "inputs": [outs[-1], outs[-2]]})
                inputs = [f"s{i}"]
            else:
                inputs = [outs[-1]]
        else:  # concat: the previous three outputs (or the input), newest first
            prev = outs[-3:][::-1]
            layers.append({"name": f"c{i}", "type": "concatenate", "inputs": prev})
            inputs = [f"c{i}"]
        layers.append({**dense(name, width, activation), "inputs": inputs})
        outs.append(name)
    return {"name": f"lesson_{kind}_{depth}", "inputs": {"x": [features]}, "layers": layers, "outputs": [outs[-1]]}


def cases():
    acts = list(torch_model.ACTIVATIONS)
    out = []
    for act in acts:
        out.append((f"dense_{act}", {"name": f"dense_{act}", "inputs": {"x": [6]},
                                     "layers": [dense("d1", 7, act), dense("d2", 4, act)]}, "mean"))
    out.append(("dense_no_bias", {"name": "dense_no_bias", "inputs": {"x": [6]},
                                  "layers": [dense("d1", 5, "tanh", use_bias=False), dense("d2", 3)]}, "mean"))
    out.append(("activation_layers", {"name": "activation_layers", "inputs": {"x": [4]}, "layers": [
        dense("d1", 6), {"name": "a1", "type": "activation", "activation": "gelu"},
        dense("d2", 5), {"name": "a2", "type": "activation", "activation": "softmax"}]}, "sum"))
    out.append(("multi_io", {"name": "multi_io", "inputs": {"a": [3], "b": [5]}, "layers": [
        dense("da", 4, "elu", inputs=["a"]), dense("db", 4, "selu", inputs=["b"]),
        {"name": "sum", "type": "add", "inputs": ["da", "db", "da"]},
        {"name": "cat", "type": "concatenate", "axis": 1, "inputs": ["sum", "b"]},
        dense("head", 2, "sigmoid")], "outputs": ["head", "sum"]}, "mean"))
    for kind in ("plain", "residual", "concat"):
        for depth in (4, 16):
            out.append((f"lesson_{kind}_{depth}", lesson_net(kind, depth), "mean"))
        out.append((f"lesson_{kind}_8_tanh", lesson_net(kind, 8, activation="tanh"), "sum"))
    return out


def make_weights(spec, gen, dtype):
    """Glorot-uniform kernels and small uniform biases, drawn in float64 and then cast."""
    shapes, weights = {}, {}
    inputs = {k: v[-1] for k, v in spec["inputs"].items()}
    # Feature counts follow the layers in dependency order, as torch_model.run does.
    dims = dict(inputs)
    pending = torch_model.layer_names(spec)
    while pending:
        for entry in list(pending):
            if not all(i in dims for i in entry["inputs"]):
                continue
            ins = [dims[i] for i in entry["inputs"]]
            if entry["type"] == "dense":
                fan_in, units = ins[0], entry["units"]
                limit = math.sqrt(6.0 / (fan_in + units))
                weights[f"{entry['name']}/kernel"] = (torch.rand(fan_in, units, generator=gen, dtype=torch.float64) * 2 - 1) * limit
                if entry.get("use_bias", True):
                    weights[f"{entry['name']}/bias"] = (torch.rand(units, generator=gen, dtype=torch.float64) * 2 - 1) * 0.1
                dims[entry["name"]] = units
            elif entry["type"] == "concatenate":
                dims[entry["name"]] = sum(ins)
            else:
                dims[entry["name"]] = ins[0]
            pending.remove(entry)
    return {k: v.to(dtype) for k, v in weights.items()}


def write_case(name, spec, loss_kind, dtype):
    folder = os.path.join(ROOT, f"{name}_{'f32' if dtype == torch.float32 else 'f64'}")
    os.makedirs(folder, exist_ok=True)
    gen = torch.Generator().manual_seed(sum(map(ord, name)))
    weights = make_weights(spec, gen, dtype)
    inputs = {k: (torch.rand(BATCH, *v, generator=gen, dtype=torch.float64) * 4 - 2).to(dtype)
              for k, v in spec["inputs"].items()}
    leaves = {k: v.clone().requires_grad_(True) for k, v in {**weights, **inputs}.items()}
    outputs = torch_model.run(spec, {k: leaves[k] for k in weights}, {k: leaves[k] for k in inputs})
    total = sum(o.sum() for o in outputs.values())
    count = sum(o.numel() for o in outputs.values())
    loss = total / count if loss_kind == "mean" else total
    grads = torch.autograd.grad(loss, list(leaves.values()))
    by_name = dict(zip(leaves, grads))
    expected = {"loss": loss.detach().reshape(())}
    expected.update({f"output/{k}": v.detach() for k, v in outputs.items()})
    expected.update({f"grad/input/{k}": by_name[k] for k in inputs})
    expected.update({f"grad/{k}": by_name[k] for k in weights})
    with open(os.path.join(folder, "spec.json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    safetensors_io.save(weights, os.path.join(folder, "weights.safetensors"))
    safetensors_io.save(inputs, os.path.join(folder, "input.safetensors"))
    safetensors_io.save(expected, os.path.join(folder, "expected.safetensors"),
                        {"loss": loss_kind, "training": "false", "torch": torch.__version__})


def main():
    for entry in os.listdir(ROOT) if os.path.isdir(ROOT) else []:
        path = os.path.join(ROOT, entry)
        if os.path.isdir(path):
            shutil.rmtree(path)
    n = 0
    for name, spec, loss_kind in cases():
        for dtype in (torch.float64, torch.float32):
            write_case(name, spec, loss_kind, dtype)
            n += 1
    print(f"wrote {n} golden cases under {os.path.normpath(ROOT)}")


if __name__ == "__main__":
    main()
