#!/usr/bin/python3
"""Writes the golden reference cases under tests/golden/ from Debian's python3-torch.

Each case is a folder with spec.json, weights.safetensors, input.safetensors and expected.safetensors
(loss, output/<name>, grad/input/<name>, grad/<layer>/<variable>: what `gradlab gradients` writes;
for cases run in training mode also state/<layer>/<variable>, the moving statistics after the pass).
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
    # Each activation feeds a final linear layer: the mean of a softmax output alone is constant, and
    # its gradient would be rounding noise.
    for act in acts:
        out.append((f"dense_{act}", {"name": f"dense_{act}", "inputs": {"x": [6]},
                                     "layers": [dense("d1", 7, act), dense("d2", 4, act), dense("d3", 3)]},
                    "mean"))
    out.append(("dense_no_bias", {"name": "dense_no_bias", "inputs": {"x": [6]},
                                  "layers": [dense("d1", 5, "tanh", use_bias=False), dense("d2", 3)]}, "mean"))
    out.append(("activation_layers", {"name": "activation_layers", "inputs": {"x": [4]}, "layers": [
        dense("d1", 6), {"name": "a1", "type": "activation", "activation": "gelu"},
        dense("d2", 5), {"name": "a2", "type": "activation", "activation": "softmax"}, dense("d3", 2)]}, "sum"))
    out.append(("multi_io", {"name": "multi_io", "inputs": {"a": [3], "b": [5]}, "layers": [
        dense("da", 4, "elu", inputs=["a"]), dense("db", 4, "selu", inputs=["b"]),
        {"name": "sum", "type": "add", "inputs": ["da", "db", "da"]},
        {"name": "cat", "type": "concatenate", "axis": 1, "inputs": ["sum", "b"]},
        dense("head", 2, "sigmoid")], "outputs": ["head", "sum"]}, "mean"))
    out.append(("dropout_infer", {"name": "dropout_infer", "inputs": {"x": [6]}, "layers": [
        dense("d1", 5, "relu"), {"name": "drop", "type": "dropout", "rate": 0.5, "seed": 3}, dense("d2", 3)]}, "mean"))
    for kind in ("plain", "residual", "concat"):
        for depth in (4, 16):
            out.append((f"lesson_{kind}_{depth}", lesson_net(kind, depth), "mean"))
        out.append((f"lesson_{kind}_8_tanh", lesson_net(kind, 8, activation="tanh"), "sum"))
    return out + normalization_cases() + recurrent_cases() + convolution_cases()


def convolution_cases():
    """Small CNNs on channels-last images and sequences: every convolution and pooling option a
    spec can set, in one graph each."""
    def conv(name, kind, filters, kernel_size, **kw):
        return {"name": name, "type": kind, "filters": filters, "kernel_size": kernel_size, **kw}
    image = {"name": "cnn_image", "inputs": {"x": [7, 6, 2]}, "layers": [
        conv("c1", "conv2d", 4, 3, padding="same", activation="tanh"),
        {"name": "p1", "type": "max_pooling2d", "pool_size": 2, "padding": "same"},
        conv("c2", "conv2d", 6, [2, 3], strides=[1, 2], groups=2, activation="relu", padding="same"),
        {"name": "p2", "type": "average_pooling2d", "pool_size": [2, 2], "strides": 1, "padding": "same"},
        conv("c3", "conv2d", 4, 2, dilation_rate=[1, 2], padding="same", use_bias=False, inputs=["c2"]),
        {"name": "gap", "type": "global_average_pooling2d", "inputs": ["p2"]},
        {"name": "flat", "type": "flatten", "inputs": ["c3"]},
        dense("head", 3, inputs=["flat"]), dense("side", 2, "sigmoid", inputs=["gap"])],
        "outputs": ["head", "side"]}
    sequence = {"name": "cnn_sequence", "inputs": {"s": [11, 3]}, "layers": [
        conv("k1", "conv1d", 4, 4, strides=2, padding="same", activation="elu"),
        conv("k2", "conv1d", 2, 2, dilation_rate=2, groups=2, activation="tanh"),
        {"name": "flat", "type": "flatten"}, dense("out", 3)]}
    layers = {"name": "cnn_image_layers", "inputs": {"x": [6, 5, 2]}, "layers": [
        {"name": "zp", "type": "zero_padding2d", "padding": [[1, 0], [2, 1]]},
        {"name": "dw", "type": "depthwise_conv2d", "kernel_size": 3, "depth_multiplier": 2, "padding": "same",
         "strides": [1, 2], "activation": "tanh"},
        {"name": "dw2", "type": "depthwise_conv2d", "kernel_size": [2, 2], "use_bias": False, "activation": "elu"},
        {"name": "gmp", "type": "global_max_pooling2d", "inputs": ["dw"]},
        {"name": "rs", "type": "reshape", "target_shape": [-1, 4], "inputs": ["dw2"]},
        {"name": "mp", "type": "max_pooling1d", "pool_size": 3, "strides": 2, "padding": "same"},
        {"name": "gap", "type": "global_average_pooling1d"},
        dense("head", 3, inputs=["gmp"]), dense("side", 2, "sigmoid", inputs=["gap"])],
        "outputs": ["head", "side"]}
    pooling = {"name": "cnn_sequence_pooling", "inputs": {"s": [10, 3]}, "layers": [
        conv("k1", "conv1d", 4, 3, padding="same", activation="tanh"),
        {"name": "ap", "type": "average_pooling1d", "pool_size": 3, "strides": 1, "padding": "same"},
        {"name": "mp", "type": "max_pooling1d"},
        {"name": "gmp", "type": "global_max_pooling1d", "keepdims": True, "inputs": ["ap"]},
        {"name": "flat", "type": "flatten", "inputs": ["mp"]}, dense("out", 3, inputs=["flat"]),
        {"name": "fgmp", "type": "flatten", "inputs": ["gmp"]}, dense("side", 2, "tanh", inputs=["fgmp"])],
        "outputs": ["out", "side"]}
    return [("cnn_image", image, "mean"), ("cnn_sequence", sequence, "sum"), ("cnn_image_layers", layers, "mean"),
            ("cnn_sequence_pooling", pooling, "sum")]


def recurrent_cases():
    """Sequences [batch, 6 steps, 3 features] through every recurrent layer type and option PyTorch
    has (a GRU without reset_after and layer-normalized cells have no PyTorch module: the finite
    difference tests check them)."""
    seq = {"x": [6, 3]}

    def rnn(name, kind, units, **kw):
        return {"name": name, "type": kind, "units": units, **kw}
    return [
        ("rnn_simple", {"name": "rnn_simple", "inputs": seq, "layers": [
            rnn("r1", "simple_rnn", 4, return_sequences=True),
            rnn("r2", "simple_rnn", 5, activation="relu", go_backwards=True, return_sequences=True),
            rnn("r3", "simple_rnn", 3, use_bias=False), dense("d", 2, "tanh")]}, "mean"),
        ("rnn_lstm", {"name": "rnn_lstm", "inputs": seq, "layers": [
            rnn("l1", "lstm", 4, return_sequences=True),
            rnn("l2", "lstm", 3, go_backwards=True, use_bias=False, return_sequences=True),
            rnn("l3", "lstm", 3), dense("d", 2, "tanh")]}, "mean"),
        ("rnn_gru", {"name": "rnn_gru", "inputs": seq, "layers": [
            rnn("g1", "gru", 4, return_sequences=True),
            rnn("g2", "gru", 3, go_backwards=True, use_bias=False, return_sequences=True),
            rnn("g3", "gru", 3), dense("d", 2, "tanh")]}, "mean"),
        ("rnn_bidirectional", {"name": "rnn_bidirectional", "inputs": seq, "layers": [
            {"name": "b1", "type": "bidirectional", "layer": rnn("l", "lstm", 3, return_sequences=True)},
            {"name": "b2", "type": "bidirectional", "merge_mode": "mul",
             "layer": {"type": "simple_rnn", "units": 4, "return_sequences": True}},
            {"name": "b3", "type": "bidirectional", "merge_mode": "sum",
             "layer": {"type": "gru", "units": 3, "return_sequences": True}},
            {"name": "b4", "type": "bidirectional", "merge_mode": "ave", "layer": {"type": "lstm", "units": 2}},
            dense("d", 2, "tanh")]}, "mean"),
        ("rnn_sequence_layers", {"name": "rnn_sequence_layers", "inputs": seq, "layers": [
            dense("d1", 5, "tanh"), {"name": "ln", "type": "layer_normalization"},
            rnn("l1", "lstm", 4, return_sequences=True), {"name": "bn", "type": "batch_normalization"},
            {"name": "gn", "type": "group_normalization", "groups": 2}, rnn("g1", "gru", 3)]}, "sum", True),
    ]


NON_TRAINABLE = ("moving_mean", "moving_variance", "mean", "variance")


def normalization_cases():
    """(name, spec, loss, training): every normalization layer, in training and inference mode. Each ends
    in a nonlinearity: under a plain sum or mean of a normalized output the gradients vanish exactly."""
    tanh = {"name": "act", "type": "activation", "activation": "tanh"}
    bn_net = {"inputs": {"x": [6]}, "layers": [
        dense("d1", 8, "tanh"), {"name": "bn", "type": "batch_normalization", "momentum": 0.9}, dense("d2", 3, "tanh")]}
    return [
        ("batchnorm_train", {"name": "batchnorm_train", **bn_net}, "mean", True),
        ("batchnorm_infer", {"name": "batchnorm_infer", **bn_net}, "mean", False),
        ("batchnorm_axis_train", {"name": "batchnorm_axis_train", "inputs": {"x": [4, 3]}, "layers": [
            {"name": "bn", "type": "batch_normalization", "axis": 1, "scale": False}, dense("d", 2, "sigmoid")]},
         "sum", True),
        ("batchnorm_torch_train", {"name": "batchnorm_torch_train", "inputs": {"x": [3, 2, 4]}, "layers": [
            {"name": "bn", "type": "batch_normalization", "momentum": 0.9, "epsilon": 1e-5,
             "moving_variance_update": "unbiased"}, tanh]}, "sum", True),
        ("batchnorm_rank4_infer", {"name": "batchnorm_rank4_infer", "inputs": {"x": [3, 2, 4]}, "layers": [
            {"name": "bn", "type": "batch_normalization", "center": False}, tanh]}, "sum", False),
        ("layernorm", {"name": "layernorm", "inputs": {"x": [4, 6]}, "layers": [
            {"name": "ln1", "type": "layer_normalization"},
            {"name": "ln2", "type": "layer_normalization", "axis": [1, 2], "epsilon": 1e-5},
            {"name": "ln3", "type": "layer_normalization", "axis": [1]}, dense("d", 3, "tanh")]}, "mean", True),
        ("groupnorm", {"name": "groupnorm", "inputs": {"x": [3, 8]}, "layers": [
            {"name": "gn", "type": "group_normalization", "groups": 4}, {**tanh, "name": "act1"},
            {"name": "in", "type": "instance_normalization"}, dense("d", 2, "tanh")]}, "mean", True),
        ("groupnorm_axis", {"name": "groupnorm_axis", "inputs": {"x": [6, 5]}, "layers": [
            {"name": "gn", "type": "group_normalization", "groups": 3, "axis": 1}, {**tanh, "name": "act1"},
            {"name": "in", "type": "instance_normalization", "axis": 1, "center": False}, tanh]}, "sum", False),
        ("groupnorm_rows", {"name": "groupnorm_rows", "inputs": {"x": [40]}, "layers": [
            {"name": "gn", "type": "group_normalization", "groups": 2}, {**tanh, "name": "act1"},
            {"name": "ln", "type": "layer_normalization"}, dense("d", 3, "tanh")]}, "mean", False),
        # Every normalization on channels-last images [N, H, W, C] with Keras's axes, in training mode
        # (the convolution has no bias: batch norm removes it, and its gradient would be rounding noise).
        ("cnn_normalizations", {"name": "cnn_normalizations", "inputs": {"x": [4, 5, 3]}, "layers": [
            {"name": "c", "type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "use_bias": False},
            {"name": "bn", "type": "batch_normalization", "momentum": 0.9}, {**tanh, "name": "a1"},
            {"name": "gn", "type": "group_normalization", "groups": 2}, {**tanh, "name": "a2"},
            {"name": "in", "type": "instance_normalization", "epsilon": 1e-5}, {**tanh, "name": "a3"},
            {"name": "ln", "type": "layer_normalization"}, {**tanh, "name": "a4"},
            {"name": "ln2", "type": "layer_normalization", "axis": [1, 2, 3]},
            {"name": "gap", "type": "global_average_pooling2d"}, dense("d", 2, "tanh")]}, "mean", True),
        ("input_normalization", {"name": "input_normalization", "inputs": {"x": [6]}, "layers": [
            {"name": "norm", "type": "normalization"}, dense("d", 4, "tanh"),
            {"name": "inv", "type": "normalization", "invert": True}]}, "mean", False),
    ]


def make_weights(spec, gen, dtype):
    """Glorot-uniform kernels and small uniform biases, drawn in float64 and then cast."""
    shapes, weights = {k: [BATCH] + list(v) for k, v in spec["inputs"].items()}, {}
    inputs = {k: v[-1] for k, v in spec["inputs"].items()}
    # Feature counts follow the layers in dependency order, as torch_model.run does.
    dims = dict(inputs)
    pending = torch_model.layer_names(spec)
    while pending:
        for entry in list(pending):
            if not all(i in dims for i in entry["inputs"]):
                continue
            ins = [dims[i] for i in entry["inputs"]]
            full = shapes[entry["inputs"][0]]
            shapes[entry["name"]] = full[:-1] + [entry["units"]] if entry["type"] == "dense" else list(full)
            if entry["type"] == "concatenate":
                axis = entry.get("axis", -1) % len(full)
                shapes[entry["name"]][axis] = sum(shapes[i][axis] for i in entry["inputs"])
            if entry["type"].endswith("normalization"):
                weights.update(normalization_weights(entry, full, gen))
            if entry["type"] in IMAGE_LAYERS:
                shapes[entry["name"]] = image_layer_shape(entry, full)
                weights.update(conv_weights(entry, full, gen))
                dims[entry["name"]] = shapes[entry["name"]][-1]
            elif entry["type"] in RECURRENT_GATES or entry["type"] == "bidirectional":
                shapes[entry["name"]] = recurrent_shape(entry, full)
                weights.update(recurrent_layer_weights(entry, ins[0], gen))
                dims[entry["name"]] = shapes[entry["name"]][-1]
            elif entry["type"] == "dense":
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


RECURRENT_GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
IMAGE_LAYERS = {"conv1d", "conv2d", "depthwise_conv2d", "max_pooling2d", "average_pooling2d", "max_pooling1d",
                "average_pooling1d", "global_average_pooling2d", "global_average_pooling1d", "global_max_pooling2d",
                "global_max_pooling1d", "flatten", "reshape", "zero_padding2d"}


def image_layer_shape(entry, full):
    """The output shape [batch, ...] of a convolution, pooling or flatten layer on `full`."""
    kind = entry["type"]
    if kind == "flatten":
        return [full[0], math.prod(full[1:])]
    if kind.startswith("global_"):
        return [full[0], *[1] * (len(full) - 2), full[-1]] if entry.get("keepdims", False) else [full[0], full[-1]]
    if kind == "reshape":
        target = list(entry["target_shape"])
        if -1 in target:
            target[target.index(-1)] = math.prod(full[1:]) // -math.prod(target)
        return [full[0], *target]
    if kind == "zero_padding2d":
        (top, bottom), (left, right) = torch_model.zero_padding(entry.get("padding", 1))
        return [full[0], full[1] + top + bottom, full[2] + left + right, full[3]]
    rank = len(full) - 2
    opts = {**torch_model.CONV_DEFAULTS, **entry}
    if "pooling" in kind:
        window = torch_model.window(entry.get("pool_size", [2] * rank), rank)
        strides, dilation = torch_model.window(entry.get("strides") or window, rank), [1] * rank
        channels = full[-1]
    elif kind == "depthwise_conv2d":
        window = torch_model.window(entry["kernel_size"], rank)
        strides, dilation = torch_model.window(opts["strides"], rank), torch_model.window(opts["dilation_rate"], rank)
        channels = full[-1] * entry.get("depth_multiplier", 1)
    else:
        window = torch_model.window(entry["kernel_size"], rank)
        strides, dilation = torch_model.window(opts["strides"], rank), torch_model.window(opts["dilation_rate"], rank)
        channels = entry["filters"]
    sizes = [torch_model.output_size(n, k, s, d, opts["padding"]) for n, k, s, d in zip(full[1:-1], window, strides, dilation)]
    return [full[0], *sizes, channels]


def conv_weights(entry, full, gen):
    """Glorot-uniform kernels (KH, KW, Cin / groups, filters), or (KH, KW, C, M) for a depthwise
    convolution, with Keras's fans, small uniform biases."""
    if entry["type"] not in ("conv1d", "conv2d", "depthwise_conv2d"):
        return {}
    rank = len(full) - 2
    opts = {**torch_model.CONV_DEFAULTS, **entry}
    if entry["type"] == "depthwise_conv2d":
        multiplier = entry.get("depth_multiplier", 1)
        shape = torch_model.window(entry["kernel_size"], rank) + [full[-1], multiplier]
        entry = {**entry, "filters": full[-1] * multiplier}
    else:
        shape = torch_model.window(entry["kernel_size"], rank) + [full[-1] // opts["groups"], entry["filters"]]
    receptive = math.prod(shape[:-2])
    limit = math.sqrt(6.0 / (receptive * (shape[-2] + shape[-1])))
    out = {f"{entry['name']}/kernel": (torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * limit}
    if opts["use_bias"]:
        out[f"{entry['name']}/bias"] = (torch.rand(entry["filters"], generator=gen, dtype=torch.float64) * 2 - 1) * 0.1
    return out


def recurrent_shape(entry, full):
    """[batch, time, units] or [batch, units]; a Bidirectional's concat doubles the units."""
    inner = entry.get("layer", entry)
    units = inner["units"] * (2 if entry["type"] == "bidirectional" and entry.get("merge_mode", "concat") == "concat" else 1)
    return full[:-1] + [units] if inner.get("return_sequences", False) else [full[0], units]


def recurrent_layer_weights(entry, features, gen):
    """Glorot-uniform kernels, recurrent kernels uniform in +-1/sqrt(units), small uniform biases."""
    if entry["type"] == "bidirectional":
        inner = entry["layer"]
        name = inner.get("name", entry["name"])
        out = {}
        for prefix in ("forward_", "backward_"):
            out.update(recurrent_layer_weights({**inner, "name": prefix + name}, features, gen))
        return out
    name, units, gates = entry["name"], entry["units"], RECURRENT_GATES[entry["type"]]

    def draw(shape, limit):
        return (torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * limit
    out = {f"{name}/kernel": draw((features, gates * units), math.sqrt(6.0 / (features + gates * units))),
           f"{name}/recurrent_kernel": draw((units, gates * units), 1.0 / math.sqrt(units))}
    if entry.get("use_bias", True):
        shape = (2, gates * units) if entry["type"] == "gru" and entry.get("reset_after", True) else (gates * units,)
        out[f"{name}/bias"] = draw(shape, 0.2)
    return out


def normalization_weights(entry, shape, gen):
    """Gamma and beta away from 1 and 0, and non-trivial moving or adapted statistics."""
    name, kind, rank = entry["name"], entry["type"], len(shape)

    def draw(n, low, high):
        return torch.rand(n, generator=gen, dtype=torch.float64) * (high - low) + low
    out = {}
    if kind == "normalization":
        axis = entry.get("axis", -1)
        kept = sorted(a % rank for a in (axis if isinstance(axis, list) else [axis]))
        stats = [shape[a] for a in kept]
        out[f"{name}/mean"] = draw(stats, -0.5, 0.5)
        out[f"{name}/variance"] = draw(stats, 0.5, 2.0)
        return out
    axis = entry.get("axis", -1)
    if kind == "layer_normalization":
        axes = sorted(a % rank for a in (axis if isinstance(axis, list) else [axis]))
        params = [shape[a] for a in axes]
    else:
        params = [shape[axis % rank]]
    if entry.get("scale", True):
        out[f"{name}/gamma"] = draw(params, 0.5, 1.5)
    if entry.get("center", True):
        out[f"{name}/beta"] = draw(params, -0.5, 0.5)
    if kind == "batch_normalization":
        out[f"{name}/moving_mean"] = draw(params, -0.5, 0.5)
        out[f"{name}/moving_variance"] = draw(params, 0.5, 2.0)
    return out


def write_case(name, spec, loss_kind, dtype, training=False):
    folder = os.path.join(ROOT, f"{name}_{'f32' if dtype == torch.float32 else 'f64'}")
    os.makedirs(folder, exist_ok=True)
    gen = torch.Generator().manual_seed(sum(map(ord, name)))
    weights = make_weights(spec, gen, dtype)
    inputs = {k: (torch.rand(BATCH, *v, generator=gen, dtype=torch.float64) * 4 - 2).to(dtype)
              for k, v in spec["inputs"].items()}
    trainable = [k for k in weights if k.rsplit("/", 1)[1] not in NON_TRAINABLE]
    leaves = {k: v.clone().requires_grad_(True) for k, v in {**weights, **inputs}.items()
              if k in inputs or k in trainable}
    values = {k: leaves[k] if k in leaves else v.clone() for k, v in weights.items()}
    state = {}
    outputs = torch_model.run(spec, values, {k: leaves[k] for k in inputs}, training, state)
    total = sum(o.sum() for o in outputs.values())
    count = sum(o.numel() for o in outputs.values())
    loss = total / count if loss_kind == "mean" else total
    grads = torch.autograd.grad(loss, list(leaves.values()))
    by_name = dict(zip(leaves, grads))
    expected = {"loss": loss.detach().reshape(())}
    expected.update({f"output/{k}": v.detach() for k, v in outputs.items()})
    expected.update({f"grad/input/{k}": by_name[k] for k in inputs})
    expected.update({f"grad/{k}": by_name[k] for k in trainable})
    expected.update({f"state/{k}": v.detach().to(dtype) for k, v in state.items()})
    with open(os.path.join(folder, "spec.json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    safetensors_io.save(weights, os.path.join(folder, "weights.safetensors"))
    safetensors_io.save(inputs, os.path.join(folder, "input.safetensors"))
    safetensors_io.save(expected, os.path.join(folder, "expected.safetensors"),
                        {"loss": loss_kind, "training": "true" if training else "false",
                         "torch": torch.__version__})


def main():
    for entry in os.listdir(ROOT) if os.path.isdir(ROOT) else []:
        path = os.path.join(ROOT, entry)
        if os.path.isdir(path):
            shutil.rmtree(path)
    n = 0
    for name, spec, loss_kind, *training in cases():
        for dtype in (torch.float64, torch.float32):
            write_case(name, spec, loss_kind, dtype, *training)
            n += 1
    print(f"wrote {n} golden cases under {os.path.normpath(ROOT)}")


if __name__ == "__main__":
    main()
